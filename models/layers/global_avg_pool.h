#pragma once

#include "models/module.h"
#include "runtime/ops/global_avg_pool.h"

namespace rethink {

// [N, H, W, C] -> [N, C]: the mean over each image's pixels; the small Inception's 7x7 mean
// pooling.
class GlobalAvgPool : public Module {
 public:
  Tensor forward(const Tensor& x) override {
    return run_layer(x, [&] { return ops::global_avg_pool(x); });
  }
  std::string_view type_name() const override { return "GlobalAvgPool"; }
};

}  // namespace rethink
