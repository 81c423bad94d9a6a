// Parameter initializers. Draws happen on the host, so every device starts from the same
// weights.
#pragma once

#include <cstdint>

#include "runtime/random.h"
#include "runtime/tensor.h"

namespace rethink {

// Glorot (Xavier) uniform: U(-a, a), a = sqrt(6 / (fan_in + fan_out)); TF-slim's default.
void glorot_uniform(const Tensor& weight, int64_t fan_in, int64_t fan_out,
                    const PhiloxStream& stream);

}  // namespace rethink
