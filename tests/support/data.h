// Deterministic test data drawn from Philox: the same values on every run and machine.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/philox.h"

namespace rethink::test {

// n values uniform in [low, high), converted to T.
template <class T>
std::vector<T> uniform_values(int64_t n, uint64_t seed, double low = -1, double high = 1) {
  const auto s = kernels::PhiloxStream::make(seed, kernels::RngPurpose::kData);
  std::vector<T> v(static_cast<size_t>(n));
  for (size_t i = 0; i < v.size(); ++i) {
    v[i] = static_cast<T>(low + (high - low) * s.uniform_double(i));
  }
  return v;
}

// n int32 values in [0, k).
inline std::vector<int32_t> index_values(int64_t n, uint32_t k, uint64_t seed) {
  const auto s = kernels::PhiloxStream::make(seed, kernels::RngPurpose::kLabels);
  std::vector<int32_t> v(static_cast<size_t>(n));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int32_t>(s.below(i, k));
  return v;
}

}  // namespace rethink::test
