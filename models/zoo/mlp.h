// Multilayer perceptron: flatten, then hidden Linear+ReLU layers, then a linear classifier.
// The paper's MLP 1x512 and MLP 3x512 (PAPER.md 4.3): Glorot-uniform weights, zero biases.
//
// Parameters (mlp1x512 on 28x28x3, 10 classes: 1,209,866):
//   hidden.0.weight   [512, 2352]
//   hidden.0.bias     [512]
//   classifier.weight [10, 512]
//   classifier.bias   [10]
// mlp3x512 (1,735,178) adds hidden.2.{weight [512, 512], bias [512]} and hidden.4.{...} (the
// odd indices are the ReLUs). Linear weights are (out, in), as PyTorch stores them; the input
// is flattened in (h, w, c) order (PyTorch: x.permute(0, 2, 3, 1).flatten(1)).
#pragma once

#include <vector>

#include "models/layers/dropout.h"
#include "models/layers/linear.h"
#include "models/module.h"

namespace rethink {

class Mlp : public Module {
 public:
  // dropout > 0 puts a Dropout (named "dropout") between the last hidden layer and the
  // classifier.
  Mlp(int64_t input_features, const std::vector<int64_t>& hidden, int64_t classes,
      double dropout = 0);
  Tensor forward(const Tensor& x) override;
  std::string_view type_name() const override { return "Mlp"; }

 private:
  std::shared_ptr<Sequential> hidden_;
  std::shared_ptr<Dropout> dropout_;  // null without dropout
  std::shared_ptr<Linear> classifier_;
};

}  // namespace rethink
