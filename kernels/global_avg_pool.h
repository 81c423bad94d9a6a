// Global average pooling: the mean over height and width of each (image, channel),
// [batch, h, w, c] -> [batch, c]. The paper's Inception ends with it (7x7 -> 1).
#pragma once

#include <cstdint>

#include "kernels/hd.h"

namespace rethink::kernels {

// One output element (n, c) per index i. The sum runs over the pixels in order, in double: a
// 28x28 map is 784 terms, enough for float rounding to show.
template <class T>
struct GlobalAvgPoolForward {
  const T* x;
  T* y;
  int64_t pixels;  // h * w
  int64_t channels;

  RT_HD void operator()(int64_t i) const {
    const int64_t n = i / channels;
    const int64_t c = i % channels;
    const T* image = x + n * pixels * channels + c;
    double sum = 0;
    for (int64_t p = 0; p < pixels; ++p) sum += image[p * channels];
    y[i] = static_cast<T>(sum / static_cast<double>(pixels));
  }
};

// dx[n, p, c] = dy[n, c] / pixels; rows are the batch * pixels input pixels.
template <class T>
struct GlobalAvgPoolBackward {
  const T* dy;
  T* dx;
  int64_t pixels;
  int64_t channels;

  RT_HD void at(int64_t r, int64_t c) const {
    dx[r * channels + c] = dy[(r / pixels) * channels + c] / static_cast<T>(pixels);
  }
  RT_HD void operator()(int64_t i) const { at(i / channels, i % channels); }
};

namespace cpu {
// x [batch, pixels, channels] (pixels = h * w >= 1) -> y [batch, channels].
template <class T>
void global_avg_pool_forward(const T* x, int64_t batch, int64_t pixels, int64_t channels, T* y);
// dx [batch, pixels, channels] from dy [batch, channels]; overwrites dx.
template <class T>
void global_avg_pool_backward(const T* dy, int64_t batch, int64_t pixels, int64_t channels, T* dx);
}  // namespace cpu

namespace cuda {
// One thread per (image, channel) for the forward (its pixels summed in order, in double, as
// on the CPU); one per element for the backward.
template <class T>
void global_avg_pool_forward(const T* x, int64_t batch, int64_t pixels, int64_t channels, T* y,
                             Stream stream);
template <class T>
void global_avg_pool_backward(const T* dy, int64_t batch, int64_t pixels, int64_t channels, T* dx,
                              Stream stream);
}  // namespace cuda

}  // namespace rethink::kernels
