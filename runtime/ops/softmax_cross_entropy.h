#pragma once

#include "runtime/tensor.h"

namespace rethink::ops {

// Mean softmax cross-entropy of logits [batch, classes] against int32 labels [batch];
// returns a one-element tensor (shape []). Labels outside [0, classes) are an error.
Tensor softmax_cross_entropy(const Tensor& logits, const Tensor& labels);

}  // namespace rethink::ops
