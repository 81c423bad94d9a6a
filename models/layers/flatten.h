#pragma once

#include "models/module.h"
#include "runtime/ops/flatten.h"

namespace rethink {

// [N, C, H, W] -> [N, C * H * W] in PyTorch's order (channel-major).
class Flatten : public Module {
 public:
  Tensor forward(const Tensor& x) override { return ops::flatten(x); }
};

}  // namespace rethink
