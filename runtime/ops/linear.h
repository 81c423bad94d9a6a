// y = x W^T + b, with W stored (out, in) as PyTorch stores it.
#pragma once

#include "runtime/tensor.h"

namespace rethink::ops {

// x: [batch, in], weight: [out, in], bias: [out] or undefined. Returns [batch, out].
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

}  // namespace rethink::ops
