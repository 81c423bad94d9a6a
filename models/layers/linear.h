// Fully connected layer: y = x W^T + b, W stored (out, in) as PyTorch stores it. Glorot-uniform
// weights and zero bias unless set_init says otherwise.
#pragma once

#include "models/init.h"
#include "models/module.h"

namespace rethink {

class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias = true);
  Tensor forward(const Tensor& x) override;
  std::string_view type_name() const override { return "Linear"; }
  int64_t macs(const Shape& input, const Shape& output) const override;

  // Takes effect at the next Module::initialize.
  Linear& set_init(const WeightInit& init) {
    init_ = init;
    return *this;
  }

  int64_t in_features() const { return in_features_; }
  int64_t out_features() const { return out_features_; }
  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }

 protected:
  void init_parameters(Initializer& init) override;

 private:
  int64_t in_features_;
  int64_t out_features_;
  WeightInit init_;
  Tensor weight_;
  Tensor bias_;
};

}  // namespace rethink
