#include "models/init.h"

#include <cmath>

#include "kernels/cpu/for_each.h"
#include "runtime/ops/op_checks.h"

namespace rethink {

void glorot_uniform(const Tensor& weight, int64_t fan_in, int64_t fan_out,
                    const PhiloxStream& stream) {
  RT_CHECK(fan_in + fan_out > 0, "glorot_uniform: fan_in + fan_out is zero for {}",
           weight.describe());
  const double limit = std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  fill_uniform(weight, -limit, limit, stream);
}

void he_normal(const Tensor& weight, int64_t fan_in, const PhiloxStream& stream) {
  RT_CHECK(fan_in > 0, "he_normal: fan_in must be positive for {}, got {}", weight.describe(),
           fan_in);
  fill_normal(weight, 0.0, std::sqrt(2.0 / static_cast<double>(fan_in)), stream);
}

void truncated_normal(const Tensor& weight, double stddev, const PhiloxStream& stream) {
  constexpr int kRetryShift = 40;
  ops::require_cpu(weight, "truncated_normal");
  RT_CHECK(std::isfinite(stddev) && stddev >= 0,
           "truncated_normal: stddev must be finite and >= 0, got {}", stddev);
  RT_CHECK(weight.numel() < (int64_t{1} << kRetryShift),
           "truncated_normal: {} has more than 2^{} elements, where the redraws of one element "
           "would reuse another's draws",
           weight.describe(), kRetryShift);
  dispatch_floating(weight.dtype(), "truncated_normal", [&]<class T>() {
    T* p = weight.data<T>();
    kernels::cpu::for_each(weight.numel(), [&](int64_t i) {
      // Each try is accepted with probability 0.954; 64 straight rejections (p ~ 1e-86) would
      // leave the mean rather than loop on.
      double z = 0;
      for (uint64_t attempt = 0; attempt < 64; ++attempt) {
        const double draw = stream.normal(static_cast<uint64_t>(i) + (attempt << kRetryShift));
        if (std::abs(draw) <= 2.0) {
          z = draw;
          break;
        }
      }
      p[i] = static_cast<T>(stddev * z);
    });
  });
}

void WeightInit::apply(const Tensor& weight, const Tensor& bias_tensor, int64_t fan_in,
                       int64_t fan_out, const PhiloxStream& stream) const {
  // Qualified: the static factories of the same names would hide the free functions.
  switch (kind) {
    case Kind::kGlorotUniform:
      rethink::glorot_uniform(weight, fan_in, fan_out, stream);
      break;
    case Kind::kHeNormal:
      rethink::he_normal(weight, fan_in, stream);
      break;
    case Kind::kTruncatedNormal:
      rethink::truncated_normal(weight, stddev, stream);
      break;
  }
  if (bias_tensor.defined()) bias_tensor.fill_(bias);
}

}  // namespace rethink
