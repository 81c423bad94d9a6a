#include "kernels/global_avg_pool.h"

#include <algorithm>

#include "kernels/check.h"
#include "kernels/cpu/for_each.h"

namespace rethink::kernels::cpu {
namespace {

// Tasks are (image, block of channels): the pixels stream through contiguous channel runs with
// the channel loop innermost (vectorized), and a batch of one still spreads over the threads.
// Per element the sum runs in the functor's order, so the results are bitwise equal.
constexpr int64_t kChannelBlock = 64;

}  // namespace

template <class T>
void global_avg_pool_forward(const T* x, int64_t batch, int64_t pixels, int64_t channels, T* y) {
  RT_CHECK(pixels >= 1, "global_avg_pool: an image of {} pixels has no mean", pixels);
  const int64_t blocks = (channels + kChannelBlock - 1) / kChannelBlock;
  const int64_t tasks = batch * blocks;
#pragma omp parallel for schedule(static) if (batch * pixels * channels >= kMinParallelWork)
  for (int64_t t = 0; t < tasks; ++t) {
    const int64_t n = t / blocks;
    const int64_t c0 = (t % blocks) * kChannelBlock;
    const int64_t nc = std::min(kChannelBlock, channels - c0);
    double sum[kChannelBlock] = {};
    const T* image = x + n * pixels * channels + c0;
    for (int64_t p = 0; p < pixels; ++p) {
      const T* px = image + p * channels;
      for (int64_t c = 0; c < nc; ++c) sum[c] += px[c];
    }
    for (int64_t c = 0; c < nc; ++c) {
      y[n * channels + c0 + c] = static_cast<T>(sum[c] / static_cast<double>(pixels));
    }
  }
}

template <class T>
void global_avg_pool_backward(const T* dy, int64_t batch, int64_t pixels, int64_t channels, T* dx) {
  RT_CHECK(pixels >= 1, "global_avg_pool: an image of {} pixels has no mean", pixels);
  for_each_2d(batch * pixels, channels, GlobalAvgPoolBackward<T>{dy, dx, pixels, channels});
}

template void global_avg_pool_forward<float>(const float*, int64_t, int64_t, int64_t, float*);
template void global_avg_pool_forward<double>(const double*, int64_t, int64_t, int64_t, double*);
template void global_avg_pool_backward<float>(const float*, int64_t, int64_t, int64_t, float*);
template void global_avg_pool_backward<double>(const double*, int64_t, int64_t, int64_t, double*);

}  // namespace rethink::kernels::cpu
