#include "runtime/compute_settings.h"

#include <gtest/gtest.h>

#include "kernels/error.h"
#include "tests/support/throws.h"

namespace rethink {
namespace {

using test::throws_with;

TEST(ComputeSettings, DefaultsAreFp32AndOurEngine) {
  EXPECT_EQ(compute_settings().math, MathMode::kFp32);
  EXPECT_EQ(compute_settings().conv_engine, ConvEngine::kOurs);
}

TEST(ComputeSettings, ParseTheFlagValuesAndNameThemBack) {
  EXPECT_EQ(parse_math_mode("fp32"), MathMode::kFp32);
  EXPECT_EQ(parse_math_mode("tf32"), MathMode::kTf32);
  EXPECT_EQ(parse_conv_engine("ours"), ConvEngine::kOurs);
  EXPECT_EQ(parse_conv_engine("cudnn"), ConvEngine::kCudnn);
  for (const MathMode m : {MathMode::kFp32, MathMode::kTf32}) {
    EXPECT_EQ(parse_math_mode(math_mode_name(m)), m);
  }
  for (const ConvEngine e : {ConvEngine::kOurs, ConvEngine::kCudnn}) {
    EXPECT_EQ(parse_conv_engine(conv_engine_name(e)), e);
  }
}

TEST(ComputeSettings, BadValuesNameTheFlagAndTheChoices) {
  EXPECT_TRUE(throws_with<UserError>([] { parse_math_mode("fp16"); },
                                     {"--math", "'fp16'", "fp32", "tf32"}));
  EXPECT_TRUE(throws_with<UserError>([] { parse_conv_engine("CUDNN"); },
                                     {"--conv-engine", "'CUDNN'", "ours", "cudnn"}));
}

TEST(ComputeSettings, TheCpuRefusesTf32AndCudnn) {
  EXPECT_NO_THROW(check_compute_settings({}, Device::cpu()));
  EXPECT_TRUE(throws_with<UserError>(
      [] { check_compute_settings({.math = MathMode::kTf32}, Device::cpu()); },
      {"--math tf32", "CUDA", "--math fp32"}));
  EXPECT_TRUE(throws_with<UserError>(
      [] { check_compute_settings({.conv_engine = ConvEngine::kCudnn}, Device::cpu()); },
      {"--conv-engine cudnn", "--conv-engine ours"}));
  EXPECT_NO_THROW(check_compute_settings({MathMode::kTf32, ConvEngine::kCudnn}, Device::cuda()));
}

TEST(ComputeSettings, AScopeRestoresThePreviousSettings) {
  {
    ComputeSettingsScope scope({MathMode::kTf32, ConvEngine::kCudnn});
    EXPECT_EQ(compute_settings().math, MathMode::kTf32);
    EXPECT_EQ(compute_settings().conv_engine, ConvEngine::kCudnn);
  }
  EXPECT_EQ(compute_settings(), ComputeSettings{});
}

}  // namespace
}  // namespace rethink
