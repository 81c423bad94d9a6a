// Max pooling over NHWC images, TensorFlow's semantics: padded positions act as -inf (they
// never win), so with SAME padding a window of negative values still yields its maximum, not 0.
//
// argmax holds, per output element, the winning input pixel within its image (h * in_w + w):
// the first maximum in the window's row-major scan order, so ties are broken the same way on
// both devices. The backward routes each output gradient to that pixel, as a gather over the
// outputs covering each input element (race-free, fixed summation order).
#pragma once

#include <cstdint>

#include "kernels/hd.h"
#include "kernels/pool_window.h"
#include "kernels/window2d.h"

namespace rethink::kernels {

// One output element per index i (flat NHWC over [batch, out_h, out_w, in_c]).
template <class T>
struct MaxPool2dForward {
  const T* x;
  T* y;
  int32_t* argmax;  // null when no backward follows
  WindowedShape s;

  RT_HD void operator()(int64_t i) const {
    const auto [n, oh, ow, c] = nhwc_index(i, s.out_h, s.out_w, s.in_c);
    const Window2d& win = s.window;
    const PoolSpan hs = pool_window_span(oh, win.stride_h, win.pad.top, win.kernel_h, s.in_h);
    const PoolSpan ws = pool_window_span(ow, win.stride_w, win.pad.left, win.kernel_w, s.in_w);
    const T* image = x + n * s.in_h * s.in_w * s.in_c + c;
    int64_t best_at = hs.begin * s.in_w + ws.begin;
    T best = image[best_at * s.in_c];
    for (int64_t h = hs.begin; h < hs.end; ++h) {
      for (int64_t w = ws.begin; w < ws.end; ++w) {
        const int64_t at = h * s.in_w + w;
        const T v = image[at * s.in_c];
        if (v > best) {  // strict: the first maximum keeps the gradient
          best = v;
          best_at = at;
        }
      }
    }
    y[i] = best;
    if (argmax) argmax[i] = static_cast<int32_t>(best_at);
  }
};

// One input element per index i (flat NHWC over [batch, in_h, in_w, in_c]): the sum of the
// gradients of the outputs whose maximum it is, in (oh, ow) order.
template <class T>
struct MaxPool2dBackward {
  const T* dy;
  const int32_t* argmax;
  T* dx;
  WindowedShape s;

  RT_HD void operator()(int64_t i) const {
    const auto [n, h, w, c] = nhwc_index(i, s.in_h, s.in_w, s.in_c);
    const Window2d& win = s.window;
    const PoolSpan ohs = pool_covering_span(h, win.stride_h, win.pad.top, win.kernel_h, s.out_h);
    const PoolSpan ows = pool_covering_span(w, win.stride_w, win.pad.left, win.kernel_w, s.out_w);
    const int32_t self = static_cast<int32_t>(h * s.in_w + w);
    T acc = T(0);
    for (int64_t oh = ohs.begin; oh < ohs.end; ++oh) {
      for (int64_t ow = ows.begin; ow < ows.end; ++ow) {
        const int64_t j = ((n * s.out_h + oh) * s.out_w + ow) * s.in_c + c;
        acc += argmax[j] == self ? dy[j] : T(0);
      }
    }
    dx[i] = acc;
  }
};

namespace cpu {
// x [batch, in_h, in_w, in_c] -> y [batch, out_h, out_w, in_c]; argmax (same shape as y) may be
// null. Every window must overlap the input: padding on each side smaller than the kernel (true
// for SAME and VALID).
template <class T>
void max_pool2d_forward(const T* x, const WindowedShape& s, T* y, int32_t* argmax);
// dx (shape of x) = the gradient dy routed through argmax; overwrites dx.
template <class T>
void max_pool2d_backward(const T* dy, const int32_t* argmax, const WindowedShape& s, T* dx);
}  // namespace cpu

namespace cuda {
// As cpu::max_pool2d_forward / _backward, one thread per element (the functors above).
template <class T>
void max_pool2d_forward(const T* x, const WindowedShape& s, T* y, int32_t* argmax, Stream stream);
template <class T>
void max_pool2d_backward(const T* dy, const int32_t* argmax, const WindowedShape& s, T* dx,
                         Stream stream);
}  // namespace cuda

}  // namespace rethink::kernels
