// Geometry of a 2-D sliding window (convolution, pooling) over NHWC images.
//
// Images and activations are NHWC ([batch, height, width, channels]), TensorFlow's layout and
// the paper's: a pixel's channels are contiguous, so im2col copies whole channel runs, a 1x1
// convolution is one GEMM on the activation as it lies, and per-channel work (batch norm,
// bias, LRN) sees rows of channels.
//
// Padding is explicit per side. TensorFlow's SAME puts the smaller half of an odd total before
// (top, left) and the larger after (bottom, right): a 3x3 stride-2 window over 28 rows pads 0
// on top and 1 at the bottom. A symmetric pad gives the same output size on a shifted grid.
#pragma once

#include <cstdint>

#include "kernels/hd.h"

namespace rethink::kernels {

enum class PaddingMode { kValid, kSame };

struct Padding2d {
  int64_t top = 0;
  int64_t bottom = 0;
  int64_t left = 0;
  int64_t right = 0;

  RT_HD bool operator==(const Padding2d&) const = default;
};

// TensorFlow SAME along one axis: `out = ceil(in / stride)` positions, the total padding split
// with the extra element after.
RT_HD void same_padding(int64_t in, int64_t kernel, int64_t stride, int64_t* before,
                        int64_t* after) {
  const int64_t out = (in + stride - 1) / stride;
  const int64_t needed = (out - 1) * stride + kernel - in;
  const int64_t total = needed > 0 ? needed : 0;
  *before = total / 2;
  *after = total - *before;
}

struct Window2d {
  int64_t kernel_h = 1;
  int64_t kernel_w = 1;
  int64_t stride_h = 1;
  int64_t stride_w = 1;
  Padding2d pad;

  // A kernel_h x kernel_w window moved by `stride`, padded as `mode` asks for input rows x cols.
  static Window2d make(int64_t kernel_h, int64_t kernel_w, int64_t stride, PaddingMode mode,
                       int64_t in_h, int64_t in_w) {
    Window2d w{kernel_h, kernel_w, stride, stride, {}};
    if (mode == PaddingMode::kSame) {
      same_padding(in_h, kernel_h, stride, &w.pad.top, &w.pad.bottom);
      same_padding(in_w, kernel_w, stride, &w.pad.left, &w.pad.right);
    }
    return w;
  }

  // Output positions along each axis (zero or negative: the window does not fit).
  RT_HD int64_t out_h(int64_t in_h) const {
    return (in_h + pad.top + pad.bottom - kernel_h) / stride_h + 1;
  }
  RT_HD int64_t out_w(int64_t in_w) const {
    return (in_w + pad.left + pad.right - kernel_w) / stride_w + 1;
  }

  // A 1x1 window with stride 1 and no padding maps every pixel to itself.
  RT_HD bool is_pointwise() const {
    return kernel_h == 1 && kernel_w == 1 && stride_h == 1 && stride_w == 1 && pad == Padding2d{};
  }

  RT_HD bool pads() const { return !(pad == Padding2d{}); }

  RT_HD bool operator==(const Window2d&) const = default;
};

// The sizes every windowed NHWC kernel needs, resolved once by the caller.
struct WindowedShape {
  int64_t batch = 0;
  int64_t in_h = 0;
  int64_t in_w = 0;
  int64_t in_c = 0;
  int64_t out_h = 0;
  int64_t out_w = 0;
  Window2d window;

  static WindowedShape make(int64_t batch, int64_t in_h, int64_t in_w, int64_t in_c,
                            const Window2d& window) {
    return {batch, in_h, in_w, in_c, window.out_h(in_h), window.out_w(in_w), window};
  }
  // The input's size with the padding around it, in which every window lies.
  RT_HD int64_t padded_h() const { return in_h + window.pad.top + window.pad.bottom; }
  RT_HD int64_t padded_w() const { return in_w + window.pad.left + window.pad.right; }
  RT_HD int64_t in_pixels() const { return batch * in_h * in_w; }
  // The same geometry for `images` images (a tile of the batch).
  RT_HD WindowedShape with_batch(int64_t images) const {
    WindowedShape s = *this;
    s.batch = images;
    return s;
  }
  RT_HD int64_t out_pixels() const { return batch * out_h * out_w; }
};

}  // namespace rethink::kernels
