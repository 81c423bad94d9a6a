// Global average pooling: the mean over height and width per image and channel
// (kernels/global_avg_pool.h); the small Inception's 7x7 "mean pooling" before its classifier.
#pragma once

#include "runtime/tensor.h"

namespace rethink::ops {

// x [N, H, W, C] -> [N, C].
Tensor global_avg_pool(const Tensor& x);

}  // namespace rethink::ops
