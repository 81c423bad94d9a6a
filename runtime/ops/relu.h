#pragma once

#include "runtime/tensor.h"

namespace rethink::ops {

// max(x, 0), element-wise.
Tensor relu(const Tensor& x);

}  // namespace rethink::ops
