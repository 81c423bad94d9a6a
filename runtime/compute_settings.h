// How device kernels compute, chosen once per run: the float32 math mode of the matrix
// products (--math fp32|tf32) and the convolution engine (--conv-engine ours|cudnn, where
// "cudnn" also sends batch norm through cuDNN: the reference engine our kernels are ranked
// against). Process-wide: a run sets them before its first op and records them in its config;
// they do not change what is computed, only how it rounds or which library computes it.
//
// The CPU has neither TF32 nor cuDNN: check_compute_settings says so before a run starts. The
// cuDNN engine serves float32 tensors; float64 ones always run our kernels.
#pragma once

#include <cstdint>
#include <string_view>

#include "kernels/cuda/context.h"
#include "runtime/device.h"

namespace rethink {

using kernels::MathMode;

enum class ConvEngine : uint8_t { kOurs, kCudnn };

struct ComputeSettings {
  MathMode math = MathMode::kFp32;
  ConvEngine conv_engine = ConvEngine::kOurs;
  bool operator==(const ComputeSettings&) const = default;
};

const ComputeSettings& compute_settings();
// Set before any op runs, from one thread (the settings are read without a lock).
void set_compute_settings(const ComputeSettings& settings);

// Sets the settings for a scope and restores the previous ones after it (tests, benchmarks).
class ComputeSettingsScope {
 public:
  explicit ComputeSettingsScope(const ComputeSettings& settings);
  ~ComputeSettingsScope();
  ComputeSettingsScope(const ComputeSettingsScope&) = delete;
  ComputeSettingsScope& operator=(const ComputeSettingsScope&) = delete;

 private:
  ComputeSettings previous_;
};

// "fp32" or "tf32" (--math); "ours" or "cudnn" (--conv-engine). UserError naming the flag and
// the accepted values otherwise.
MathMode parse_math_mode(std::string_view text);
ConvEngine parse_conv_engine(std::string_view text);
std::string_view math_mode_name(MathMode mode);
std::string_view conv_engine_name(ConvEngine engine);

// UserError when the settings ask for what `device` cannot do (TF32 or cuDNN on the CPU).
void check_compute_settings(const ComputeSettings& settings, Device device);

}  // namespace rethink
