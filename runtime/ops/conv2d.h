// 2-D convolution over NHWC activations with OHWI filters (kernels/conv2d.h: im2col + GEMM).
#pragma once

#include <cstdint>
#include <optional>

#include "kernels/window2d.h"
#include "runtime/tensor.h"

namespace rethink::ops {

struct Conv2dOptions {
  int64_t stride = 1;
  // SAME is TensorFlow's: at stride 2 on an even size the extra padding goes bottom and right.
  kernels::PaddingMode padding = kernels::PaddingMode::kSame;
  // Zero padding per side, in place of `padding`'s (e.g. PyTorch's symmetric padding=1).
  std::optional<kernels::Padding2d> explicit_padding = std::nullopt;
};

// x [N, H, W, Cin], weight [Cout, KH, KW, Cin], bias [Cout] or undefined -> [N, OH, OW, Cout].
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(),
              const Conv2dOptions& options = {});

}  // namespace rethink::ops
