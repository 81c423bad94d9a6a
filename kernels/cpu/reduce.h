// Deterministic sums on the CPU: the work is cut into fixed-size chunks (not one per thread),
// each chunk is summed in order, and the chunk sums are added in order. The result therefore
// does not depend on the thread count.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace rethink::kernels::cpu {

inline constexpr int64_t kReduceChunk = 4096;

// Sum of value(i) for i in [0, n), accumulated in double.
template <class F>
double sum(int64_t n, const F& value) {
  const int64_t chunks = (n + kReduceChunk - 1) / kReduceChunk;
  if (chunks <= 1) {
    double total = 0;
    for (int64_t i = 0; i < n; ++i) total += value(i);
    return total;
  }
  std::vector<double> partial(static_cast<size_t>(chunks));
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t end = std::min(n, (c + 1) * kReduceChunk);
    double s = 0;
    for (int64_t i = c * kReduceChunk; i < end; ++i) s += value(i);
    partial[static_cast<size_t>(c)] = s;
  }
  double total = 0;
  for (double s : partial) total += s;
  return total;
}

}  // namespace rethink::kernels::cpu
