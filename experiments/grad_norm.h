// The L2 norm of a whole gradient slab, for metrics.csv's grad_norm column (Figure 1b's
// companion: how hard the optimizer pushes as label noise grows).
#pragma once

#include "runtime/tensor.h"

namespace rethink {

// sqrt(sum of squares) of a float32 or float64 tensor, accumulated in double over fixed-size
// chunks, so the value does not depend on the thread count. A CUDA tensor is copied to the
// host first (one slab-sized copy per call).
double l2_norm(const Tensor& t);

}  // namespace rethink
