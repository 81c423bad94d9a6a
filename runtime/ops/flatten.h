#pragma once

#include "runtime/tensor.h"

namespace rethink::ops {

// [N, d1, d2, ...] -> [N, d1 * d2 * ...], sharing memory (row-major order, as PyTorch's
// flatten(1) of an NCHW tensor).
Tensor flatten(const Tensor& x);

}  // namespace rethink::ops
