#pragma once

#include <cstdint>

#include "runtime/tensor.h"

namespace rethink::ops {

// How many rows of logits [batch, classes] have their first maximum at the int32 label.
// Not differentiable.
int64_t count_correct(const Tensor& logits, const Tensor& labels);

}  // namespace rethink::ops
