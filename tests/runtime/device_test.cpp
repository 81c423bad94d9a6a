#include "runtime/device.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

#include "kernels/error.h"
#include "runtime/gpu.h"
#include "tests/support/throws.h"

namespace rethink {
namespace {

using test::throws_with;

TEST(Device, ToString) {
  EXPECT_EQ(Device::cpu().to_string(), "cpu");
  EXPECT_EQ(Device::cuda(3).to_string(), "cuda:3");
  EXPECT_NE(Device::cpu(), Device::cuda(0));
  EXPECT_NE(Device::cuda(0), Device::cuda(1));
}

TEST(ParseDevice, AcceptsTheFourForms) {
  EXPECT_EQ(parse_device("auto").kind, DeviceRequest::Kind::kAuto);
  EXPECT_EQ(parse_device("cpu").kind, DeviceRequest::Kind::kCpu);
  const DeviceRequest cuda = parse_device("cuda");
  EXPECT_EQ(cuda.kind, DeviceRequest::Kind::kCuda);
  EXPECT_EQ(cuda.index, 0);
  const DeviceRequest cuda3 = parse_device("cuda:3");
  EXPECT_EQ(cuda3.kind, DeviceRequest::Kind::kCuda);
  EXPECT_EQ(cuda3.index, 3);
}

TEST(ParseDevice, RejectsOtherTextNamingTheValueAndTheAcceptedForms) {
  for (const char* bad : {"gpu", "cuda:", "cuda:-1", "cuda:x", "cuda:1x", "CPU", "", "cuda:+1"}) {
    const std::string quoted = fmt::format("'{}'", bad);
    EXPECT_TRUE(
        throws_with<UserError>([&] { parse_device(bad); }, {quoted, "auto", "cpu", "cuda:N"}))
        << "value: \"" << bad << "\"";
  }
}

TEST(ResolveDevice, CpuRequestNeedsNoGpu) {
  EXPECT_EQ(resolve_device({DeviceRequest::Kind::kCpu, 0}).device, Device::cpu());
}

TEST(ResolveDevice, AutoFallsBackToCpuWithTheReason) {
  const GpuQuery& gpus = query_gpus();
  if (!gpus.devices.empty()) GTEST_SKIP() << "a usable GPU is present: auto does not fall back";
  ASSERT_FALSE(gpus.why_none.empty()) << "no devices, but no reason why";
  const ResolvedDevice r = resolve_device({DeviceRequest::Kind::kAuto, 0});
  EXPECT_EQ(r.device, Device::cpu());
  EXPECT_NE(r.reason.find(gpus.why_none), std::string::npos) << r.reason;
}

TEST(ResolveDevice, ExplicitCudaWithoutGpuThrowsUserError) {
  const GpuQuery& gpus = query_gpus();
  if (!gpus.devices.empty()) GTEST_SKIP() << "a usable GPU is present: cuda resolves";
  EXPECT_TRUE(throws_with<UserError>(
      [] {
        resolve_device({DeviceRequest::Kind::kCuda, 0});
      },
      {"no usable GPU", gpus.why_none, "--device cpu"}));
  EXPECT_TRUE(throws_with<UserError>(
      [] {
        resolve_device({DeviceRequest::Kind::kCuda, 2});
      },
      {"cuda:2", "no usable GPU"}));
}

TEST(ResolveDevice, AutoPicksTheFirstGpuWhenPresent) {
  const GpuQuery& gpus = query_gpus();
  if (gpus.devices.empty()) GTEST_SKIP() << "no usable GPU: " << gpus.why_none;
  const ResolvedDevice r = resolve_device({DeviceRequest::Kind::kAuto, 0});
  EXPECT_EQ(r.device, Device::cuda(gpus.devices.front().index));
  EXPECT_NE(r.reason.find(gpus.devices.front().name), std::string::npos) << r.reason;
}

TEST(ResolveDevice, MissingGpuIndexThrowsUserError) {
  const GpuQuery& gpus = query_gpus();
  if (gpus.devices.empty()) GTEST_SKIP() << "no usable GPU: " << gpus.why_none;
  const int missing = static_cast<int>(gpus.devices.size()) + 5;
  EXPECT_TRUE(throws_with<UserError>(
      [&] {
        resolve_device({DeviceRequest::Kind::kCuda, missing});
      },
      {"cuda:" + std::to_string(missing)}));
}

}  // namespace
}  // namespace rethink
