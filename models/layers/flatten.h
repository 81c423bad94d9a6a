#pragma once

#include "models/module.h"
#include "runtime/ops/flatten.h"

namespace rethink {

// [N, H, W, C] -> [N, H * W * C] in row-major (h, w, c) order, TensorFlow's: a PyTorch model
// running NCHW matches it with x.permute(0, 2, 3, 1).flatten(1).
class Flatten : public Module {
 public:
  Tensor forward(const Tensor& x) override {
    return run_layer(x, [&] { return ops::flatten(x); });
  }
  std::string_view type_name() const override { return "Flatten"; }
};

}  // namespace rethink
