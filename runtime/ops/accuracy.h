#pragma once

#include <cstdint>

#include "runtime/tensor.h"

namespace rethink::ops {

// How many rows of logits [batch, classes] have their first maximum at the int32 label.
// Not differentiable. Reads the count back to the host (on a GPU: a synchronization).
int64_t count_correct(const Tensor& logits, const Tensor& labels);

// The same count as a float64 [] tensor on the logits' device (exact below 2^53), so a loop
// can add it up on the device and read it once per logging interval.
Tensor correct_count(const Tensor& logits, const Tensor& labels);

}  // namespace rethink::ops
