// Tests that need a GPU (ctest label `gpu`): they skip, printing why, where no GPU is usable,
// and RETHINK_REQUIRE_GPU=1 turns that skip into a failure, so that a run on a GPU machine
// cannot pass by skipping.
//
//   TEST(BatchTransformGpuTest, MatchesTheCpu) {
//     RT_SKIP_WITHOUT_GPU();
//     ...
//   }
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "runtime/gpu.h"

namespace rethink::test {

// RETHINK_REQUIRE_GPU set to anything but "" or "0".
inline bool gpu_required() {
  const char* v = std::getenv("RETHINK_REQUIRE_GPU");
  return v != nullptr && v[0] != '\0' && std::strcmp(v, "0") != 0;
}

// Empty when CUDA device 0 can run this build's kernels; otherwise why not, in the CUDA
// runtime's words ("built without CUDA", "CUDA driver version is insufficient for CUDA runtime
// version", ...) or naming the architecture the device lacks.
inline std::string why_no_usable_gpu() {
  const GpuQuery& q = query_gpus();
  if (q.devices.empty()) return q.why_none;
  return q.devices.front().unsupported;
}

}  // namespace rethink::test

// In a test body or SetUp: skips the test when no GPU is usable (failing it instead under
// RETHINK_REQUIRE_GPU).
#define RT_SKIP_WITHOUT_GPU()                                                           \
  do {                                                                                  \
    const std::string rt_why_no_gpu = ::rethink::test::why_no_usable_gpu();             \
    if (!rt_why_no_gpu.empty()) {                                                       \
      if (::rethink::test::gpu_required()) {                                            \
        FAIL() << "RETHINK_REQUIRE_GPU is set, but there is no usable GPU: "            \
               << rt_why_no_gpu;                                                        \
      }                                                                                 \
      GTEST_SKIP() << "no usable GPU: " << rt_why_no_gpu;                               \
    }                                                                                   \
  } while (0)
