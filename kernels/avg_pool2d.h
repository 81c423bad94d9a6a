// Average pooling over NHWC images, TensorFlow's semantics: a window's mean is over its valid
// (non-padded) positions only, so a SAME border window of 2x2 real pixels divides by 4, not by
// kernel^2 (PyTorch's count_include_pad=False).
//
// The backward is a gather: each input element sums dy * (1 / count) over the outputs whose
// window covers it, in (oh, ow) order (race-free, the same order on both devices; a reciprocal
// because a division per element and window costs the CPU more than the rest of the pass).
#pragma once

#include <cstdint>

#include "kernels/hd.h"
#include "kernels/pool_window.h"
#include "kernels/window2d.h"

namespace rethink::kernels {

// One output element per index i (flat NHWC over [batch, out_h, out_w, in_c]).
template <class T>
struct AvgPool2dForward {
  const T* x;
  T* y;
  WindowedShape s;

  RT_HD void operator()(int64_t i) const {
    const auto [n, oh, ow, c] = nhwc_index(i, s.out_h, s.out_w, s.in_c);
    const Window2d& win = s.window;
    const PoolSpan hs = pool_window_span(oh, win.stride_h, win.pad.top, win.kernel_h, s.in_h);
    const PoolSpan ws = pool_window_span(ow, win.stride_w, win.pad.left, win.kernel_w, s.in_w);
    const T* image = x + n * s.in_h * s.in_w * s.in_c + c;
    T sum = T(0);
    for (int64_t h = hs.begin; h < hs.end; ++h) {
      for (int64_t w = ws.begin; w < ws.end; ++w) sum += image[(h * s.in_w + w) * s.in_c];
    }
    y[i] = sum / static_cast<T>((hs.end - hs.begin) * (ws.end - ws.begin));
  }
};

// One input element per index i (flat NHWC over [batch, in_h, in_w, in_c]).
template <class T>
struct AvgPool2dBackward {
  const T* dy;
  T* dx;
  WindowedShape s;

  RT_HD void operator()(int64_t i) const {
    const auto [n, h, w, c] = nhwc_index(i, s.in_h, s.in_w, s.in_c);
    const Window2d& win = s.window;
    const PoolSpan ohs = pool_covering_span(h, win.stride_h, win.pad.top, win.kernel_h, s.out_h);
    const PoolSpan ows = pool_covering_span(w, win.stride_w, win.pad.left, win.kernel_w, s.out_w);
    T acc = T(0);
    for (int64_t oh = ohs.begin; oh < ohs.end; ++oh) {
      const PoolSpan hs = pool_window_span(oh, win.stride_h, win.pad.top, win.kernel_h, s.in_h);
      for (int64_t ow = ows.begin; ow < ows.end; ++ow) {
        const PoolSpan ws = pool_window_span(ow, win.stride_w, win.pad.left, win.kernel_w, s.in_w);
        const T inv_count = T(1) / static_cast<T>((hs.end - hs.begin) * (ws.end - ws.begin));
        acc += dy[((n * s.out_h + oh) * s.out_w + ow) * s.in_c + c] * inv_count;
      }
    }
    dx[i] = acc;
  }
};

namespace cpu {
// x [batch, in_h, in_w, in_c] -> y [batch, out_h, out_w, in_c]. Every window must overlap the
// input: padding on each side smaller than the kernel (true for SAME and VALID).
template <class T>
void avg_pool2d_forward(const T* x, const WindowedShape& s, T* y);
// dx (shape of x) from dy (shape of y); overwrites dx.
template <class T>
void avg_pool2d_backward(const T* dy, const WindowedShape& s, T* dx);
}  // namespace cpu

namespace cuda {
template <class T>
void avg_pool2d_forward(const T* x, const WindowedShape& s, T* y, Stream stream);
template <class T>
void avg_pool2d_backward(const T* dy, const WindowedShape& s, T* dx, Stream stream);
}  // namespace cuda

}  // namespace rethink::kernels
