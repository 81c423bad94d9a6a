// Average pooling over NHWC activations with a square window (ops::avg_pool2d). As in
// TensorFlow, a window averages its valid positions only.
#pragma once

#include "models/module.h"
#include "runtime/ops/pool_options.h"

namespace rethink {

class AvgPool2d : public Module {
 public:
  AvgPool2d(int64_t kernel, int64_t stride,
            kernels::PaddingMode padding = kernels::PaddingMode::kSame);
  Tensor forward(const Tensor& x) override;
  std::string_view type_name() const override { return "AvgPool2d"; }
  const ops::Pool2dOptions& options() const { return options_; }

 private:
  ops::Pool2dOptions options_;
};

}  // namespace rethink
