#include "models/layers/dropout.h"

#include <limits>

namespace rethink {

Dropout::Dropout(double p) : p_(p) {
  RT_CHECK(p >= 0 && p < 1,
           "Dropout({}): p is the probability of dropping an element and must be in [0, 1)", p);
}

ops::DropoutKey Dropout::key() const {
  RT_CHECK(step() <= std::numeric_limits<uint32_t>::max(),
           "{}: step {} is beyond the 2^32 steps a dropout key counts", describe_layer(), step());
  return {seed_, static_cast<uint32_t>(step()), layer_};
}

Tensor Dropout::forward(const Tensor& x) {
  return run_layer(x, [&] { return ops::dropout(x, p_, key(), training()); });
}

void Dropout::init_parameters(Initializer& init) {
  seed_ = init.seed();
  layer_ = init.next_layer_id();
}

}  // namespace rethink
