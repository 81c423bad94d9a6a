// Fully connected layer: y = x W^T + b, W stored (out, in). Glorot-uniform weights, zero bias.
#pragma once

#include "models/module.h"

namespace rethink {

class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias = true);
  Tensor forward(const Tensor& x) override;

  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }

 protected:
  void init_parameters(Initializer& init) override;

 private:
  int64_t in_features_;
  int64_t out_features_;
  Tensor weight_;
  Tensor bias_;
};

}  // namespace rethink
