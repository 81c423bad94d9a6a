#include "runtime/random.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "kernels/cpu/for_each.h"
#include "runtime/ops/op_checks.h"

namespace rethink {

std::vector<int32_t> random_permutation(int64_t n, const PhiloxStream& stream) {
  RT_CHECK(n >= 0 && n <= INT32_MAX, "random_permutation: {} elements do not fit int32", n);
  std::vector<uint64_t> keys(static_cast<size_t>(n));
  kernels::cpu::for_each(n, [&](int64_t i) { keys[static_cast<size_t>(i)] = stream.bits64(i); });
  std::vector<int32_t> perm(static_cast<size_t>(n));
  std::iota(perm.begin(), perm.end(), 0);
  std::sort(perm.begin(), perm.end(),
            [&](int32_t a, int32_t b) { return keys[a] != keys[b] ? keys[a] < keys[b] : a < b; });
  return perm;
}

void fill_uniform(const Tensor& t, double low, double high, const PhiloxStream& stream) {
  ops::require_cpu(t, "fill_uniform");
  dispatch_floating(t.dtype(), "fill_uniform", [&]<class T>() {
    T* p = t.data<T>();
    // Rounding to float can carry a draw just below `high` up to it: keep the interval open.
    const T below_high = std::nextafter(static_cast<T>(high), static_cast<T>(low));
    kernels::cpu::for_each(t.numel(), [&](int64_t i) {
      p[i] = std::min(static_cast<T>(low + (high - low) * stream.uniform_double(i)), below_high);
    });
  });
}

void fill_normal(const Tensor& t, double mean, double stddev, const PhiloxStream& stream) {
  ops::require_cpu(t, "fill_normal");
  dispatch_floating(t.dtype(), "fill_normal", [&]<class T>() {
    T* p = t.data<T>();
    kernels::cpu::for_each(
        t.numel(), [&](int64_t i) { p[i] = static_cast<T>(mean + stddev * stream.normal(i)); });
  });
}

}  // namespace rethink
