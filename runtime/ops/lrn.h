// Local response normalization across channels (the last dimension), TensorFlow's tf.nn.lrn.
#pragma once

#include <cstdint>

#include "runtime/tensor.h"

namespace rethink::ops {

// TensorFlow's defaults. The paper's small AlexNet uses {4, 1.0, 0.001 / 9, 0.75}, which is
// PyTorch's LocalResponseNorm(size 9, alpha 0.001, beta 0.75, k 1): PyTorch divides alpha by
// the window size, TensorFlow does not.
struct LrnOptions {
  int64_t depth_radius = 5;
  double bias = 1.0;
  double alpha = 1.0;
  double beta = 0.5;
};

// y[..., c] = x[..., c] / (bias + alpha * sum of x[..., c']^2 over |c' - c| <= depth_radius)^beta,
// the window clipped to the channels there are. x: float32 or float64, rank >= 1, channels last
// (NHWC, or [batch, features]).
Tensor lrn(const Tensor& x, const LrnOptions& options = {});

}  // namespace rethink::ops
