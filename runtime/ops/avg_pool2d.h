// Average pooling over NHWC activations (kernels/avg_pool2d.h). As in TensorFlow, a window's
// mean is over its valid positions only: padding neither adds to the sum nor to the count.
#pragma once

#include "runtime/ops/pool_options.h"
#include "runtime/tensor.h"

namespace rethink::ops {

// x [N, H, W, C] -> [N, OH, OW, C].
Tensor avg_pool2d(const Tensor& x, const Pool2dOptions& options = {});

}  // namespace rethink::ops
