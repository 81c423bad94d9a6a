// Inverted dropout (ops::dropout): in training, drops each element with probability p and
// scales the rest by 1 / (1 - p); the identity in eval mode. The mask is keyed by (the seed
// given to Module::initialize, the step given to Module::set_step, this layer's id in
// structure order), so it is the same on every device and after a resume.
#pragma once

#include <cstdint>

#include "models/module.h"
#include "runtime/ops/dropout.h"

namespace rethink {

class Dropout : public Module {
 public:
  explicit Dropout(double p);
  Tensor forward(const Tensor& x) override;
  std::string_view type_name() const override { return "Dropout"; }

  double p() const { return p_; }
  // The key the next training forward draws its mask with.
  ops::DropoutKey key() const;

 protected:
  // Takes the seed and a layer id; dropout has no parameters.
  void init_parameters(Initializer& init) override;

 private:
  double p_;
  uint64_t seed_ = 0;
  uint32_t layer_ = 0;
};

}  // namespace rethink
