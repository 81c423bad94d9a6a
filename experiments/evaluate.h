// Loss and accuracy of a model on a whole split, in evaluation mode, without gradients.
#pragma once

#include <cstdint>

#include "datasets/dataset.h"
#include "models/module.h"

namespace rethink {

struct EvalResult {
  double loss = 0;      // mean softmax cross-entropy
  double accuracy = 0;  // top-1, in [0, 1]
  int64_t correct = 0;
  int64_t count = 0;
};

// Restores the module's training mode on return.
EvalResult evaluate(Module& model, const Split& split, int64_t batch_size);

}  // namespace rethink
