// Max pooling over NHWC activations (kernels/max_pool2d.h). With SAME padding the padded
// positions act as -inf, as in TensorFlow: they never win, even over negative values.
#pragma once

#include "runtime/ops/pool_options.h"
#include "runtime/tensor.h"

namespace rethink::ops {

// x [N, H, W, C] -> [N, OH, OW, C]. The gradient goes to the first maximum of each window in
// row-major scan order.
Tensor max_pool2d(const Tensor& x, const Pool2dOptions& options = {});

}  // namespace rethink::ops
