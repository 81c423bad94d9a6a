#include "kernels/avg_pool2d.h"
#include "kernels/cuda/for_each.cuh"

namespace rethink::kernels::cuda {

template <class T>
void avg_pool2d_forward(const T* x, const WindowedShape& s, T* y, Stream stream) {
  for_each(s.out_pixels() * s.in_c, AvgPool2dForward<T>{x, y, s}, stream);
}

template <class T>
void avg_pool2d_backward(const T* dy, const WindowedShape& s, T* dx, Stream stream) {
  for_each(s.in_pixels() * s.in_c, AvgPool2dBackward<T>{dy, dx, s}, stream);
}

template void avg_pool2d_forward<float>(const float*, const WindowedShape&, float*, Stream);
template void avg_pool2d_forward<double>(const double*, const WindowedShape&, double*, Stream);
template void avg_pool2d_backward<float>(const float*, const WindowedShape&, float*, Stream);
template void avg_pool2d_backward<double>(const double*, const WindowedShape&, double*, Stream);

}  // namespace rethink::kernels::cuda
