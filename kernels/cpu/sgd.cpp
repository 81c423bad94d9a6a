#include "kernels/sgd.h"

#include "kernels/cpu/for_each.h"

namespace rethink::kernels::cpu {

template <class T>
void sgd_momentum_step(T* w, const T* g, T* v, int64_t n, const SgdParams<T>& params) {
  for_each(n, SgdMomentumStep<T>{w, g, v, params});
}

template void sgd_momentum_step<float>(float*, const float*, float*, int64_t,
                                       const SgdParams<float>&);
template void sgd_momentum_step<double>(double*, const double*, double*, int64_t,
                                        const SgdParams<double>&);

}  // namespace rethink::kernels::cpu
