#include "models/layers/linear.h"

#include "runtime/ops/linear.h"

namespace rethink {

Linear::Linear(int64_t in_features, int64_t out_features, bool bias)
    : in_features_(in_features), out_features_(out_features) {
  RT_CHECK(in_features > 0 && out_features > 0, "Linear({}, {}): sizes must be positive",
           in_features, out_features);
  weight_ = add_parameter("weight", Tensor::zeros(Shape{out_features, in_features}),
                          /*decay=*/true);
  if (bias) bias_ = add_parameter("bias", Tensor::zeros(Shape{out_features}), /*decay=*/false);
}

Tensor Linear::forward(const Tensor& x) {
  return run_layer(x, [&] { return ops::linear(x, weight_, bias_); });
}

int64_t Linear::macs(const Shape& input, const Shape& output) const {
  (void)output;
  return input.rank() == 0 ? 0 : input[0] * in_features_ * out_features_;
}

void Linear::init_parameters(Initializer& init) {
  init_.apply(weight_, bias_, in_features_, out_features_, init.next_stream());
}

}  // namespace rethink
