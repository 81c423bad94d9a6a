#include "kernels/cuda/for_each.cuh"
#include "kernels/sgd.h"

namespace rethink::kernels::cuda {

template <class T>
void sgd_momentum_step(T* w, const T* g, T* v, int64_t n, const SgdParams<T>& params,
                       Stream stream) {
  for_each(n, SgdMomentumStep<T>{w, g, v, params}, stream);
}

template void sgd_momentum_step<float>(float*, const float*, float*, int64_t,
                                       const SgdParams<float>&, Stream);
template void sgd_momentum_step<double>(double*, const double*, double*, int64_t,
                                        const SgdParams<double>&, Stream);

}  // namespace rethink::kernels::cuda
