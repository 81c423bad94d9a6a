// A split's images as the rows of a matrix, for the methods that work on raw pixel vectors
// (Theorem 1's construction, kernel interpolation): no crop and no whitening, uint8 pixels
// scaled to [0, 1] (PAPER.md section 7's recipe), generated float32 data as it is.
#pragma once

#include "datasets/dataset.h"
#include "runtime/dtype.h"
#include "runtime/tensor.h"

namespace rethink {

// [N, H * W * C] of `dtype` (float32 or float64), rows in (h, w, c) order.
Tensor design_matrix(const Split& split, DType dtype = DType::kFloat64);

}  // namespace rethink
