#pragma once

#include "models/module.h"
#include "runtime/ops/relu.h"

namespace rethink {

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) override { return ops::relu(x); }
};

}  // namespace rethink
