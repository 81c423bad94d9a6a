#pragma once

#include "runtime/tensor.h"

namespace rethink::ops {

// [N, d1, d2, ...] -> [N, d1 * d2 * ...], sharing memory, in row-major order. On an NHWC
// activation that is TensorFlow's (h, w, c) order; a PyTorch model that runs NCHW matches it
// with x.permute(0, 2, 3, 1).flatten(1).
Tensor flatten(const Tensor& x);

}  // namespace rethink::ops
