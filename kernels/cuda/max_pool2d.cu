#include "kernels/cuda/for_each.cuh"
#include "kernels/max_pool2d.h"

namespace rethink::kernels::cuda {

template <class T>
void max_pool2d_forward(const T* x, const WindowedShape& s, T* y, int32_t* argmax, Stream stream) {
  for_each(s.out_pixels() * s.in_c, MaxPool2dForward<T>{x, y, argmax, s}, stream);
}

template <class T>
void max_pool2d_backward(const T* dy, const int32_t* argmax, const WindowedShape& s, T* dx,
                         Stream stream) {
  for_each(s.in_pixels() * s.in_c, MaxPool2dBackward<T>{dy, argmax, dx, s}, stream);
}

template void max_pool2d_forward<float>(const float*, const WindowedShape&, float*, int32_t*,
                                        Stream);
template void max_pool2d_forward<double>(const double*, const WindowedShape&, double*, int32_t*,
                                         Stream);
template void max_pool2d_backward<float>(const float*, const int32_t*, const WindowedShape&, float*,
                                         Stream);
template void max_pool2d_backward<double>(const double*, const int32_t*, const WindowedShape&,
                                          double*, Stream);

}  // namespace rethink::kernels::cuda
