// Test bodies typed over devices, so that one body checks both backends:
//
//   template <class D> class ReluParity : public test::DeviceTest<D> {};
//   TYPED_TEST_SUITE(ReluParity, test::Devices, test::DeviceNames);
//   TYPED_TEST(ReluParity, MatchesTheCpu) { ... this->device() ... }
//
// The cpu instantiation runs everywhere (CI included); the cuda one where a GPU is usable,
// and is skipped with the reason printed otherwise. RETHINK_REQUIRE_GPU=1 turns every such
// skip into a failure, so that a GPU run cannot pass by skipping (scripts/gpu-check sets it).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "runtime/device.h"
#include "runtime/gpu.h"

namespace rethink::test {

struct OnCpu {
  static constexpr bool kCuda = false;
  static Device device() { return Device::cpu(); }
};

struct OnCuda {
  static constexpr bool kCuda = true;
  static Device device() { return Device::cuda(0); }
};

using Devices = ::testing::Types<OnCpu, OnCuda>;

// Names the instantiations "cpu" and "cuda" in test names (ReluParity/cuda.MatchesTheCpu).
struct DeviceNames {
  template <class D>
  static std::string GetName(int) {
    return D::kCuda ? "cuda" : "cpu";
  }
};

// RETHINK_REQUIRE_GPU set to anything but "" or "0".
inline bool gpu_required() {
  const char* v = std::getenv("RETHINK_REQUIRE_GPU");
  return v != nullptr && v[0] != '\0' && std::strcmp(v, "0") != 0;
}

// Empty when CUDA device 0 can run this build's kernels; otherwise why not.
inline std::string why_no_usable_gpu() {
  const GpuQuery& q = query_gpus();
  if (q.devices.empty()) return q.why_none;
  return q.devices.front().unsupported;
}

// In a test (or SetUp): skips it when no GPU is usable, or fails it under RETHINK_REQUIRE_GPU.
#define RT_SKIP_WITHOUT_GPU()                                                           \
  do {                                                                                  \
    const std::string rt_why = ::rethink::test::why_no_usable_gpu();                    \
    if (!rt_why.empty()) {                                                              \
      if (::rethink::test::gpu_required()) {                                            \
        FAIL() << "RETHINK_REQUIRE_GPU is set, but there is no usable GPU: " << rt_why; \
      }                                                                                 \
      GTEST_SKIP() << "no usable GPU: " << rt_why;                                      \
    }                                                                                   \
  } while (0)

template <class D>
class DeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if constexpr (D::kCuda) RT_SKIP_WITHOUT_GPU();
  }
  static Device device() { return D::device(); }
  static constexpr bool on_cuda() { return D::kCuda; }
};

}  // namespace rethink::test
