#pragma once

#include "models/module.h"
#include "runtime/ops/relu.h"

namespace rethink {

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) override {
    return run_layer(x, [&] { return ops::relu(x); });
  }
  std::string_view type_name() const override { return "ReLU"; }
};

}  // namespace rethink
