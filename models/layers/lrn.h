#pragma once

#include "models/module.h"
#include "runtime/ops/lrn.h"

namespace rethink {

// Local response normalization across channels, TensorFlow's tf.nn.lrn (see ops::LrnOptions
// for PyTorch's LocalResponseNorm equivalent).
class Lrn : public Module {
 public:
  explicit Lrn(const ops::LrnOptions& options = {}) : options_(options) {}
  Tensor forward(const Tensor& x) override {
    return run_layer(x, [&] { return ops::lrn(x, options_); });
  }
  std::string_view type_name() const override { return "Lrn"; }
  const ops::LrnOptions& options() const { return options_; }

 private:
  ops::LrnOptions options_;
};

}  // namespace rethink
