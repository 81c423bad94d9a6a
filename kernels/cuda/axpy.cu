#include "kernels/axpy.h"
#include "kernels/cuda/for_each.cuh"

namespace rethink::kernels::cuda {

template <class T>
void axpy(T alpha, const T* x, T* y, int64_t n, Stream stream) {
  for_each(n, Axpy<T>{alpha, x, y}, stream);
}

template void axpy<float>(float, const float*, float*, int64_t, Stream);
template void axpy<double>(double, const double*, double*, int64_t, Stream);

}  // namespace rethink::kernels::cuda
