#include "models/init.h"

#include <cmath>

namespace rethink {

void glorot_uniform(const Tensor& weight, int64_t fan_in, int64_t fan_out,
                    const PhiloxStream& stream) {
  RT_CHECK(fan_in + fan_out > 0, "glorot_uniform: fan_in + fan_out is zero for {}",
           weight.describe());
  const double limit = std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  fill_uniform(weight, -limit, limit, stream);
}

}  // namespace rethink
