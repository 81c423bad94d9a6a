#include "kernels/cuda/for_each.cuh"
#include "kernels/global_avg_pool.h"

namespace rethink::kernels::cuda {

template <class T>
void global_avg_pool_forward(const T* x, int64_t batch, int64_t pixels, int64_t channels, T* y,
                             Stream stream) {
  for_each(batch * channels, GlobalAvgPoolForward<T>{x, y, pixels, channels}, stream);
}

template <class T>
void global_avg_pool_backward(const T* dy, int64_t batch, int64_t pixels, int64_t channels, T* dx,
                              Stream stream) {
  for_each(batch * pixels * channels, GlobalAvgPoolBackward<T>{dy, dx, pixels, channels}, stream);
}

template void global_avg_pool_forward<float>(const float*, int64_t, int64_t, int64_t, float*,
                                             Stream);
template void global_avg_pool_forward<double>(const double*, int64_t, int64_t, int64_t, double*,
                                              Stream);
template void global_avg_pool_backward<float>(const float*, int64_t, int64_t, int64_t, float*,
                                              Stream);
template void global_avg_pool_backward<double>(const double*, int64_t, int64_t, int64_t, double*,
                                               Stream);

}  // namespace rethink::kernels::cuda
