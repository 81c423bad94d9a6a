// Multilayer perceptron: flatten, then hidden Linear+ReLU layers, then a linear classifier.
// The paper's MLP 1x512 and MLP 3x512.
#pragma once

#include <vector>

#include "models/layers/linear.h"
#include "models/module.h"

namespace rethink {

class Mlp : public Module {
 public:
  Mlp(int64_t input_features, const std::vector<int64_t>& hidden, int64_t classes);
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<Sequential> hidden_;
  std::shared_ptr<Linear> classifier_;
};

}  // namespace rethink
