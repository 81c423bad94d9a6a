#include "kernels/max_pool2d.h"

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kernels/check.h"
#include "kernels/cpu/for_each.h"

namespace rethink::kernels::cpu {
namespace {

// The forward keeps a group of channels' running maxima and argmaxes in registers while it
// scans the window; written with GCC/Clang vector extensions because the compilers leave the
// two-output select (value and index) scalar or spill it to memory on every window position,
// which costs 2-3x. Per element the comparisons and their order are the functor's, so the
// results are bitwise equal; channels past the last full group run the functor itself.
template <class T>
struct Vec;
template <>
struct Vec<float> {
  typedef float type __attribute__((vector_size(16)));
};
template <>
struct Vec<double> {
  typedef double type __attribute__((vector_size(16)));
};
template <class T>
using V = typename Vec<T>::type;
template <class T>
using Mask = decltype(V<T>{} > V<T>{});  // integers of T's width: the argmax rides in these
template <class T>
using MaskLane = std::decay_t<decltype(Mask<T>{}[0])>;

constexpr int kVectors = 4;  // 4 maxima + 4 argmaxes of the 16 SSE registers
template <class T>
constexpr int64_t kLanes = static_cast<int64_t>(sizeof(V<T>) / sizeof(T));
template <class T>
constexpr int64_t kGroup = int64_t{kVectors} * kLanes<T>;

template <class T>
V<T> load(const T* p) {
  V<T> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <class T, bool kArgmax>
void pool_group(const T* image, const WindowedShape& s, PoolSpan hs, PoolSpan ws, T* y,
                int32_t* argmax) {
  const int64_t channels = s.in_c;
  const int64_t first = hs.begin * s.in_w + ws.begin;
  V<T> best[kVectors];
  Mask<T> best_at[kVectors];
  for (int k = 0; k < kVectors; ++k) {
    best[k] = load(image + first * channels + k * kLanes<T>);
    best_at[k] = Mask<T>{} + static_cast<MaskLane<T>>(first);
  }
  for (int64_t h = hs.begin; h < hs.end; ++h) {
    for (int64_t w = ws.begin; w < ws.end; ++w) {
      const int64_t at = h * s.in_w + w;
      const Mask<T> at_v = Mask<T>{} + static_cast<MaskLane<T>>(at);
      const T* px = image + at * channels;
      for (int k = 0; k < kVectors; ++k) {
        const V<T> v = load(px + k * kLanes<T>);
        const Mask<T> wins = v > best[k];  // strict: the first maximum stays
        best[k] = wins ? v : best[k];
        if constexpr (kArgmax) best_at[k] = wins ? at_v : best_at[k];
      }
    }
  }
  std::memcpy(y, best, sizeof best);
  if constexpr (kArgmax) {
    for (int k = 0; k < kVectors; ++k) {
      for (int64_t l = 0; l < kLanes<T>; ++l) {
        argmax[k * kLanes<T> + l] = static_cast<int32_t>(best_at[k][l]);
      }
    }
  }
}

template <class T, bool kArgmax>
void forward_rows(const T* x, const WindowedShape& s, T* y, int32_t* argmax) {
  const Window2d& win = s.window;
  const int64_t channels = s.in_c;
  const int64_t rows = s.batch * s.out_h;
  const int64_t grouped = channels / kGroup<T> * kGroup<T>;
  const MaxPool2dForward<T> tail{x, y, argmax, s};
  const int64_t work = rows * s.out_w * channels * win.kernel_h * win.kernel_w;
#pragma omp parallel for schedule(static) if (work >= kMinParallelWork)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t n = r / s.out_h;
    const PoolSpan hs =
        pool_window_span(r % s.out_h, win.stride_h, win.pad.top, win.kernel_h, s.in_h);
    const T* image = x + n * s.in_h * s.in_w * channels;
    for (int64_t ow = 0; ow < s.out_w; ++ow) {
      const PoolSpan ws = pool_window_span(ow, win.stride_w, win.pad.left, win.kernel_w, s.in_w);
      const int64_t out = (r * s.out_w + ow) * channels;
      for (int64_t c0 = 0; c0 < grouped; c0 += kGroup<T>) {
        pool_group<T, kArgmax>(image + c0, s, hs, ws, y + out + c0,
                               kArgmax ? argmax + out + c0 : nullptr);
      }
      for (int64_t c = grouped; c < channels; ++c) tail(out + c);
    }
  }
}

void check_windows_overlap_input(const WindowedShape& s) {
  const Window2d& w = s.window;
  RT_CHECK(w.kernel_h >= 1 && w.kernel_w >= 1 && w.stride_h >= 1 && w.stride_w >= 1,
           "max_pool2d: kernel {}x{} and stride {}x{} must be positive", w.kernel_h, w.kernel_w,
           w.stride_h, w.stride_w);
  RT_CHECK(w.pad.top < w.kernel_h && w.pad.bottom < w.kernel_h && w.pad.left < w.kernel_w &&
               w.pad.right < w.kernel_w,
           "max_pool2d: padding (top {}, bottom {}, left {}, right {}) must be smaller than the "
           "{}x{} kernel, or a window could hold nothing but padding",
           w.pad.top, w.pad.bottom, w.pad.left, w.pad.right, w.kernel_h, w.kernel_w);
}

}  // namespace

template <class T>
void max_pool2d_forward(const T* x, const WindowedShape& s, T* y, int32_t* argmax) {
  check_windows_overlap_input(s);
  RT_CHECK(s.in_h * s.in_w <= INT32_MAX,
           "max_pool2d: a {}x{} image has too many pixels for int32 argmax indices", s.in_h,
           s.in_w);
  if (argmax) {
    forward_rows<T, true>(x, s, y, argmax);
  } else {
    forward_rows<T, false>(x, s, y, nullptr);
  }
}

template <class T>
void max_pool2d_backward(const T* dy, const int32_t* argmax, const WindowedShape& s, T* dx) {
  check_windows_overlap_input(s);
  const Window2d& win = s.window;
  const int64_t channels = s.in_c;
  const int64_t rows = s.batch * s.in_h;
  // Each input element looks at about (kernel / stride)^2 outputs.
  const int64_t work = rows * s.in_w * channels * 4;
#pragma omp parallel for schedule(static) if (work >= kMinParallelWork)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t n = r / s.in_h;
    const int64_t h = r % s.in_h;
    const PoolSpan ohs = pool_covering_span(h, win.stride_h, win.pad.top, win.kernel_h, s.out_h);
    for (int64_t w = 0; w < s.in_w; ++w) {
      const PoolSpan ows = pool_covering_span(w, win.stride_w, win.pad.left, win.kernel_w, s.out_w);
      const int32_t self = static_cast<int32_t>(h * s.in_w + w);
      T* __restrict out = dx + (r * s.in_w + w) * channels;
      for (int64_t c = 0; c < channels; ++c) out[c] = T(0);
      for (int64_t oh = ohs.begin; oh < ohs.end; ++oh) {
        for (int64_t ow = ows.begin; ow < ows.end; ++ow) {
          const int64_t j = ((n * s.out_h + oh) * s.out_w + ow) * channels;
          const T* __restrict g = dy + j;
          const int32_t* __restrict a = argmax + j;
          for (int64_t c = 0; c < channels; ++c) {
            const T v = g[c];  // loaded unconditionally: the select then vectorizes
            out[c] += a[c] == self ? v : T(0);
          }
        }
      }
    }
  }
}

template void max_pool2d_forward<float>(const float*, const WindowedShape&, float*, int32_t*);
template void max_pool2d_forward<double>(const double*, const WindowedShape&, double*, int32_t*);
template void max_pool2d_backward<float>(const float*, const int32_t*, const WindowedShape&,
                                         float*);
template void max_pool2d_backward<double>(const double*, const int32_t*, const WindowedShape&,
                                          double*);

}  // namespace rethink::kernels::cpu
