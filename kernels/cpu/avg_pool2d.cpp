#include "kernels/avg_pool2d.h"

#include <algorithm>

#include "kernels/check.h"
#include "kernels/cpu/for_each.h"

namespace rethink::kernels::cpu {
namespace {

// Channels are contiguous: the CPU runs the functors' math a pixel at a time with the channel
// loop innermost (vectorized), over blocks small enough to stay in registers and L1. Per
// element the operations and their order are the functors', so the results are bitwise equal.
constexpr int64_t kChannelBlock = 64;

void check_windows_overlap_input(const WindowedShape& s) {
  const Window2d& w = s.window;
  RT_CHECK(w.kernel_h >= 1 && w.kernel_w >= 1 && w.stride_h >= 1 && w.stride_w >= 1,
           "avg_pool2d: kernel {}x{} and stride {}x{} must be positive", w.kernel_h, w.kernel_w,
           w.stride_h, w.stride_w);
  RT_CHECK(w.pad.top < w.kernel_h && w.pad.bottom < w.kernel_h && w.pad.left < w.kernel_w &&
               w.pad.right < w.kernel_w,
           "avg_pool2d: padding (top {}, bottom {}, left {}, right {}) must be smaller than the "
           "{}x{} kernel, or a window could hold nothing but padding (a mean of nothing)",
           w.pad.top, w.pad.bottom, w.pad.left, w.pad.right, w.kernel_h, w.kernel_w);
}

}  // namespace

template <class T>
void avg_pool2d_forward(const T* x, const WindowedShape& s, T* y) {
  check_windows_overlap_input(s);
  const Window2d& win = s.window;
  const int64_t channels = s.in_c;
  const int64_t rows = s.batch * s.out_h;
  const int64_t work = rows * s.out_w * channels * win.kernel_h * win.kernel_w;
#pragma omp parallel for schedule(static) if (work >= kMinParallelWork)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t n = r / s.out_h;
    const PoolSpan hs =
        pool_window_span(r % s.out_h, win.stride_h, win.pad.top, win.kernel_h, s.in_h);
    const T* image = x + n * s.in_h * s.in_w * channels;
    for (int64_t ow = 0; ow < s.out_w; ++ow) {
      const PoolSpan ws = pool_window_span(ow, win.stride_w, win.pad.left, win.kernel_w, s.in_w);
      const T count = static_cast<T>((hs.end - hs.begin) * (ws.end - ws.begin));
      T* out = y + (r * s.out_w + ow) * channels;
      for (int64_t c0 = 0; c0 < channels; c0 += kChannelBlock) {
        const int64_t nc = std::min(kChannelBlock, channels - c0);
        T sum[kChannelBlock] = {};
        for (int64_t h = hs.begin; h < hs.end; ++h) {
          for (int64_t w = ws.begin; w < ws.end; ++w) {
            const T* px = image + (h * s.in_w + w) * channels + c0;
            for (int64_t c = 0; c < nc; ++c) sum[c] += px[c];
          }
        }
        for (int64_t c = 0; c < nc; ++c) out[c0 + c] = sum[c] / count;
      }
    }
  }
}

template <class T>
void avg_pool2d_backward(const T* dy, const WindowedShape& s, T* dx) {
  check_windows_overlap_input(s);
  const Window2d& win = s.window;
  const int64_t channels = s.in_c;
  const int64_t rows = s.batch * s.in_h;
  // Each input element looks at about (kernel / stride)^2 outputs.
  const int64_t work = rows * s.in_w * channels * 4;
#pragma omp parallel for schedule(static) if (work >= kMinParallelWork)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t n = r / s.in_h;
    const PoolSpan ohs =
        pool_covering_span(r % s.in_h, win.stride_h, win.pad.top, win.kernel_h, s.out_h);
    for (int64_t w = 0; w < s.in_w; ++w) {
      const PoolSpan ows = pool_covering_span(w, win.stride_w, win.pad.left, win.kernel_w, s.out_w);
      T* __restrict out = dx + (r * s.in_w + w) * channels;
      for (int64_t c = 0; c < channels; ++c) out[c] = T(0);
      for (int64_t oh = ohs.begin; oh < ohs.end; ++oh) {
        const PoolSpan hs = pool_window_span(oh, win.stride_h, win.pad.top, win.kernel_h, s.in_h);
        for (int64_t ow = ows.begin; ow < ows.end; ++ow) {
          const PoolSpan ws =
              pool_window_span(ow, win.stride_w, win.pad.left, win.kernel_w, s.in_w);
          const T inv_count = T(1) / static_cast<T>((hs.end - hs.begin) * (ws.end - ws.begin));
          const T* __restrict g = dy + ((n * s.out_h + oh) * s.out_w + ow) * channels;
          for (int64_t c = 0; c < channels; ++c) out[c] += g[c] * inv_count;
        }
      }
    }
  }
}

template void avg_pool2d_forward<float>(const float*, const WindowedShape&, float*);
template void avg_pool2d_forward<double>(const double*, const WindowedShape&, double*);
template void avg_pool2d_backward<float>(const float*, const WindowedShape&, float*);
template void avg_pool2d_backward<double>(const double*, const WindowedShape&, double*);

}  // namespace rethink::kernels::cpu
