#include "kernels/relu.h"

#include "kernels/cpu/for_each.h"

namespace rethink::kernels::cpu {

template <class T>
void relu_forward(const T* x, T* y, int64_t n) {
  for_each(n, ReluForward<T>{x, y});
}

template <class T>
void relu_backward(const T* y, const T* dy, T* dx, int64_t n) {
  for_each(n, ReluBackward<T>{y, dy, dx});
}

template void relu_forward<float>(const float*, float*, int64_t);
template void relu_forward<double>(const double*, double*, int64_t);
template void relu_backward<float>(const float*, const float*, float*, int64_t);
template void relu_backward<double>(const double*, const double*, double*, int64_t);

}  // namespace rethink::kernels::cpu
