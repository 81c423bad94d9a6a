// The window of the 2-D pooling ops (max_pool2d, avg_pool2d) and the argument checks they share.
#pragma once

#include <cstdint>
#include <string_view>

#include "kernels/window2d.h"
#include "runtime/ops/op_checks.h"
#include "runtime/tensor.h"

namespace rethink::ops {

// A square window. SAME is TensorFlow's: at stride 2 on an even size the extra padding goes
// bottom and right (28 -> 14 pads 0 on top, 1 at the bottom), and padded positions never count.
struct Pool2dOptions {
  int64_t kernel = 3;
  int64_t stride = 2;
  kernels::PaddingMode padding = kernels::PaddingMode::kSame;
};

// Checks x ([N, H, W, C], floating) against the options and resolves the geometry.
inline kernels::WindowedShape pool2d_shape(const Tensor& x, const Pool2dOptions& options,
                                           std::string_view op) {
  RT_CHECK(x.rank() == 4, "{}: input must be NHWC [batch, height, width, channels], got {}", op,
           x.describe());
  RT_CHECK(is_floating(x.dtype()), "{}: expected a float32 or float64 input, got {}", op,
           x.describe());
  RT_CHECK(options.kernel >= 1 && options.stride >= 1,
           "{}: kernel {} and stride {} must be positive", op, options.kernel, options.stride);
  const int64_t h = x.size(1), w = x.size(2);
  RT_CHECK(h >= 1 && w >= 1, "{}: input {} has an empty {}x{} image", op, x.describe(), h, w);
  const bool same = options.padding == kernels::PaddingMode::kSame;
  RT_CHECK(same || (options.kernel <= h && options.kernel <= w),
           "{}: a {}x{} VALID window does not fit the {}x{} images of {}: use SAME padding or a "
           "kernel of at most {}",
           op, options.kernel, options.kernel, h, w, x.describe(), h < w ? h : w);
  return kernels::WindowedShape::make(
      x.size(0), h, w, x.size(3),
      kernels::Window2d::make(options.kernel, options.kernel, options.stride, options.padding, h,
                              w));
}

}  // namespace rethink::ops
