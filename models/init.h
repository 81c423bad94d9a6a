// Parameter initializers. Draws happen on the host from keyed Philox streams, element i from
// draw i, so every device and thread count starts from the same weights, and the weights
// depend only on the seed and the model's structure.
#pragma once

#include <cstdint>

#include "runtime/random.h"
#include "runtime/tensor.h"

namespace rethink {

// Glorot (Xavier) uniform: U(-a, a), a = sqrt(6 / (fan_in + fan_out)); TF-slim's default.
void glorot_uniform(const Tensor& weight, int64_t fan_in, int64_t fan_out,
                    const PhiloxStream& stream);

// He (Kaiming) normal: N(0, sqrt(2 / fan_in)), untruncated.
void he_normal(const Tensor& weight, int64_t fan_in, const PhiloxStream& stream);

// TensorFlow's truncated normal (tf.random.truncated_normal): N(0, stddev) with every value
// more than 2 stddev from the mean drawn again. Element i takes the first acceptable of the
// standard normals at stream indices i, i + 2^40, i + 2 * 2^40, ...: a pure function of i, so
// the draws stay device- and thread-independent (tensors of up to 2^40 elements).
void truncated_normal(const Tensor& weight, double stddev, const PhiloxStream& stream);

// How a layer with a weight and a bias (Linear, Conv2d) fills them on Module::initialize.
struct WeightInit {
  enum class Kind : uint8_t { kGlorotUniform, kHeNormal, kTruncatedNormal };

  Kind kind = Kind::kGlorotUniform;
  double stddev = 0;  // kTruncatedNormal's
  double bias = 0;    // every bias element

  // TF-slim's default, and ours.
  static WeightInit glorot_uniform() { return {}; }
  static WeightInit he_normal() { return {Kind::kHeNormal, 0, 0}; }
  // The TF CIFAR-10 tutorial's AlexNet: conv 5e-2 (bias 0, then 0.1), FC 0.04 (bias 0.1),
  // logits 1/192 (bias 0).
  static WeightInit truncated_normal(double stddev, double bias = 0) {
    return {Kind::kTruncatedNormal, stddev, bias};
  }

  // Fills `weight` by `kind` and `bias` (when defined) with the constant.
  void apply(const Tensor& weight, const Tensor& bias, int64_t fan_in, int64_t fan_out,
             const PhiloxStream& stream) const;
};

}  // namespace rethink
