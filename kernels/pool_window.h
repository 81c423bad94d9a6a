// Window arithmetic shared by the pooling kernels (max_pool2d, avg_pool2d), along one axis.
//
// Pooling ignores padded positions (max-pool treats them as -inf, average pool leaves them out
// of the count), so the forward only needs the part of a window that lies inside the input. The
// backward gathers: each input position sums over the outputs whose window covers it, which
// needs no atomics and gives a fixed summation order on both devices.
#pragma once

#include <cstdint>

#include "kernels/hd.h"

namespace rethink::kernels {

// Positions [begin, end); empty when begin >= end.
struct PoolSpan {
  int64_t begin = 0;
  int64_t end = 0;
};

// Element i of a flat NHWC array of `height` x `width` images with `channels` channels.
struct NhwcIndex {
  int64_t n, h, w, c;
};
RT_HD NhwcIndex nhwc_index(int64_t i, int64_t height, int64_t width, int64_t channels) {
  const int64_t pixel = i / channels;
  return {pixel / (width * height), (pixel / width) % height, pixel % width, i % channels};
}

// Input positions under output position `o`'s window, padding cut away.
RT_HD PoolSpan pool_window_span(int64_t o, int64_t stride, int64_t pad_before, int64_t kernel,
                                int64_t in) {
  const int64_t start = o * stride - pad_before;
  const int64_t stop = start + kernel;
  return {start > 0 ? start : 0, stop < in ? stop : in};
}

// Output positions whose window covers input position `i`: those o with
// o * stride <= i + pad_before < o * stride + kernel, clipped to [0, out). Empty where a stride
// larger than the kernel skips `i`.
RT_HD PoolSpan pool_covering_span(int64_t i, int64_t stride, int64_t pad_before, int64_t kernel,
                                  int64_t out) {
  const int64_t shifted = i + pad_before;
  const int64_t below = shifted - kernel;  // windows starting at or before this one end before i
  const int64_t begin = below < 0 ? 0 : below / stride + 1;
  const int64_t last = shifted / stride + 1;
  return {begin, last < out ? last : out};
}

}  // namespace rethink::kernels
