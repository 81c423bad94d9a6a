#include "runtime/compute_settings.h"

#include <fmt/format.h>

#include "kernels/error.h"

namespace rethink {
namespace {

ComputeSettings g_settings;

}  // namespace

const ComputeSettings& compute_settings() { return g_settings; }

void set_compute_settings(const ComputeSettings& settings) { g_settings = settings; }

ComputeSettingsScope::ComputeSettingsScope(const ComputeSettings& settings)
    : previous_(g_settings) {
  g_settings = settings;
}

ComputeSettingsScope::~ComputeSettingsScope() { g_settings = previous_; }

MathMode parse_math_mode(std::string_view text) {
  if (text == "fp32") return MathMode::kFp32;
  if (text == "tf32") return MathMode::kTf32;
  throw UserError(fmt::format(
      "--math '{}' is not a math mode: use fp32 (IEEE float32, the default) or tf32 (tensor-core "
      "TF32 matrix products, CUDA only)",
      text));
}

ConvEngine parse_conv_engine(std::string_view text) {
  if (text == "ours") return ConvEngine::kOurs;
  if (text == "cudnn") return ConvEngine::kCudnn;
  throw UserError(fmt::format(
      "--conv-engine '{}' is not a convolution engine: use ours (the default) or cudnn (the "
      "cuDNN reference for convolution and batch norm, CUDA only)",
      text));
}

std::string_view math_mode_name(MathMode mode) { return mode == MathMode::kTf32 ? "tf32" : "fp32"; }

std::string_view conv_engine_name(ConvEngine engine) {
  return engine == ConvEngine::kCudnn ? "cudnn" : "ours";
}

void check_compute_settings(const ComputeSettings& settings, Device device) {
  if (device.is_cuda()) return;
  if (settings.math == MathMode::kTf32) {
    throw UserError(
        "--math tf32 needs a CUDA device (the CPU has no TF32 arithmetic): use --math fp32, or "
        "--device cuda");
  }
  if (settings.conv_engine == ConvEngine::kCudnn) {
    throw UserError(
        "--conv-engine cudnn needs a CUDA device (cuDNN is a GPU library): use --conv-engine "
        "ours, or --device cuda");
  }
}

}  // namespace rethink
