#include "models/zoo/mlp.h"

#include "models/layers/relu.h"
#include "runtime/ops/flatten.h"

namespace rethink {

Mlp::Mlp(int64_t input_features, const std::vector<int64_t>& hidden, int64_t classes,
         double dropout) {
  hidden_ = add_module("hidden", std::make_shared<Sequential>());
  int64_t width = input_features;
  for (int64_t h : hidden) {
    hidden_->add(std::make_shared<Linear>(width, h));
    hidden_->add(std::make_shared<ReLU>());
    width = h;
  }
  if (dropout > 0) dropout_ = add_module("dropout", std::make_shared<Dropout>(dropout));
  classifier_ = add_module("classifier", std::make_shared<Linear>(width, classes));
}

Tensor Mlp::forward(const Tensor& x) {
  Tensor h = hidden_->forward(ops::flatten(x));
  if (dropout_) h = dropout_->forward(h);
  return classifier_->forward(h);
}

}  // namespace rethink
