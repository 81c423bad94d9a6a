// Test bodies typed over devices, so that one body checks both backends:
//
//   template <class D> class ReluParity : public test::DeviceTest<D> {};
//   TYPED_TEST_SUITE(ReluParity, test::Devices, test::DeviceNames);
//   TYPED_TEST(ReluParity, MatchesTheCpu) { ... this->device() ... }
//
// The cpu instantiation runs everywhere (CI included); the cuda one where a GPU is usable,
// and is skipped with the reason printed otherwise (tests/support/gpu.h). RETHINK_REQUIRE_GPU=1
// turns every such skip into a failure, so that a GPU run cannot pass by skipping
// (scripts/gpu-check sets it).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "runtime/device.h"
#include "tests/support/gpu.h"  // RT_SKIP_WITHOUT_GPU, gpu_required

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
