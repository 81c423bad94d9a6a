// Shared helpers for the layer tests: float32 data (the layers' dtype) and double views.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "runtime/tensor.h"
#include "runtime/threads.h"
#include "tests/support/data.h"

namespace rethink::test {

// Uniform in [low, high), float32, from the test data stream `seed`.
inline Tensor float_tensor(const Shape& shape, uint64_t seed, double low = -1, double high = 1) {
  return Tensor::from_vector(shape, uniform_values<float>(shape.numel(), seed, low, high));
}

inline std::vector<double> as_doubles(const Tensor& t) {
  if (t.dtype() == DType::kFloat64) return t.to_vector<double>();
  const std::vector<float> v = t.to_vector<float>();
  return std::vector<double>(v.begin(), v.end());
}

// Per-element |a - b| <= atol + rtol * |b|, naming the first element that is not.
inline ::testing::AssertionResult all_close(const std::vector<double>& a,
                                            const std::vector<double>& b, double atol = 1e-5,
                                            double rtol = 1e-5) {
  if (a.size() != b.size()) {
    return ::testing::AssertionFailure() << "sizes " << a.size() << " and " << b.size();
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (!(std::abs(a[i] - b[i]) <= atol + rtol * std::abs(b[i]))) {
      return ::testing::AssertionFailure() << "element " << i << ": " << a[i] << " vs " << b[i];
    }
  }
  return ::testing::AssertionSuccess();
}

// One OpenMP and OpenBLAS thread for a scope, the previous count back on exit. The whole-model
// tests run single-threaded: ctest runs two test binaries at once on two cores, and a model
// step's hundreds of parallel regions each wait out a preempted thread when oversubscribed.
class SingleThreaded {
 public:
  SingleThreaded() : previous_(thread_count()) { set_thread_count(1); }
  ~SingleThreaded() { set_thread_count(previous_); }
  SingleThreaded(const SingleThreaded&) = delete;
  SingleThreaded& operator=(const SingleThreaded&) = delete;

 private:
  int previous_;
};

}  // namespace rethink::test
