// Max pooling over NHWC activations with a square window (ops::max_pool2d). SAME padding is
// TensorFlow's, and padded positions never win.
#pragma once

#include "models/module.h"
#include "runtime/ops/pool_options.h"

namespace rethink {

class MaxPool2d : public Module {
 public:
  MaxPool2d(int64_t kernel, int64_t stride,
            kernels::PaddingMode padding = kernels::PaddingMode::kSame);
  Tensor forward(const Tensor& x) override;
  std::string_view type_name() const override { return "MaxPool2d"; }
  const ops::Pool2dOptions& options() const { return options_; }

 private:
  ops::Pool2dOptions options_;
};

}  // namespace rethink
