// SGD with momentum over a ParameterSlab, one fused update for every parameter:
//   v = momentum * v + g + weight_decay * w   (weight decay on weights only, never biases)
//   w -= lr * v                                (Nesterov: w -= lr * (g + wd * w + momentum * v))
#pragma once

#include "runtime/parameter_slab.h"

namespace rethink {

struct SgdOptions {
  double momentum = 0.9;
  double weight_decay = 0.0;
  bool nesterov = false;
};

class Sgd {
 public:
  Sgd(ParameterSlab& slab, const SgdOptions& options);

  void step(double lr);
  void zero_grad() { slab_->zero_grad(); }

  const SgdOptions& options() const { return options_; }
  // The velocity v, laid out like the slab (checkpoints save it).
  const Tensor& momentum_buffer() const { return momentum_; }

 private:
  ParameterSlab* slab_;
  SgdOptions options_;
  Tensor momentum_;
};

}  // namespace rethink
