#include "kernels/cuda/for_each.cuh"
#include "kernels/relu.h"

namespace rethink::kernels::cuda {

template <class T>
void relu_forward(const T* x, T* y, int64_t n, Stream stream) {
  for_each(n, ReluForward<T>{x, y}, stream);
}

template <class T>
void relu_backward(const T* y, const T* dy, T* dx, int64_t n, Stream stream) {
  for_each(n, ReluBackward<T>{y, dy, dx}, stream);
}

template void relu_forward<float>(const float*, float*, int64_t, Stream);
template void relu_forward<double>(const double*, double*, int64_t, Stream);
template void relu_backward<float>(const float*, const float*, float*, int64_t, Stream);
template void relu_backward<double>(const double*, const double*, double*, int64_t, Stream);

}  // namespace rethink::kernels::cuda
