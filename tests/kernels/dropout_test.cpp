#include "kernels/dropout.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "tests/support/data.h"
#include "tests/support/scoped_threads.h"
#include "tests/support/serial.h"

namespace rethink::kernels {
namespace {

// The documented mask, spelled with the stream's own uniform().
template <class T>
std::vector<T> naive_dropout(const std::vector<T>& x, double p, const PhiloxStream& s) {
  std::vector<T> y(x.size());
  const T scale = static_cast<T>(1 / (1 - p));
  for (size_t i = 0; i < x.size(); ++i) {
    y[i] = s.uniform(i) >= static_cast<float>(p) ? x[i] * scale : T(0);
  }
  return y;
}

template <class T>
class DropoutKernelTest : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(DropoutKernelTest, FloatTypes);

// Sizes with every tail length (n % 4), and one past the parallel threshold.
TYPED_TEST(DropoutKernelTest, MatchesNaiveMaskAndFunctorForms) {
  using T = TypeParam;
  const PhiloxStream s = dropout_stream(42, 7, 3);
  for (const int64_t n : {1, 2, 3, 4, 5, 6, 7, 31, 100001}) {
    for (const double p : {0.1, 0.5, 0.9}) {
      SCOPED_TRACE(::testing::Message() << "n=" << n << " p=" << p);
      std::vector<T> x = test::uniform_values<T>(n, 1);
      for (T& v : x) v = v == T(0) ? T(1) : v;  // a kept zero would look dropped
      const std::vector<T> want = naive_dropout(x, p, s);

      std::vector<T> y(x.size(), T(-7));
      cpu::dropout_apply(x.data(), y.data(), n, p, s);
      EXPECT_EQ(y, want);

      const DropoutApply<T> f{
          x.data(), nullptr, n, s, static_cast<float>(p), static_cast<T>(1 / (1 - p))};
      std::vector<T> by_index(x.size(), T(-7)), by_quad(x.size(), T(-7));
      DropoutApply<T> fi = f;
      fi.out = by_index.data();
      test::run_each_index(n, fi);
      EXPECT_EQ(by_index, want);
      DropoutApply<T> fq = f;
      fq.out = by_quad.data();
      for (int64_t q = 0; q < (n + 3) / 4; ++q) fq.quad(q);
      EXPECT_EQ(by_quad, want);
    }
  }
}

TEST(DropoutKernel, StreamIsTheDropoutPurposeKeyedBySeedStepLayer) {
  const PhiloxStream a = dropout_stream(0x123456789abcdefULL, 11, 5);
  const PhiloxStream b = PhiloxStream::make(0x123456789abcdefULL, RngPurpose::kDropout, 11, 5);
  for (uint64_t i = 0; i < 64; ++i) EXPECT_EQ(a.bits(i), b.bits(i)) << i;
}

TEST(DropoutKernel, KeepFractionIsOneMinusP) {
  const int64_t n = 1 << 20;
  const std::vector<float> x(n, 1.0f);
  std::vector<float> y(n);
  for (const double p : {0.1, 0.5, 0.9}) {
    cpu::dropout_apply(x.data(), y.data(), n, p, dropout_stream(9, 1, 2));
    int64_t kept = 0;
    for (const float v : y) kept += v != 0.0f;
    const double sigma = std::sqrt(n * p * (1 - p));
    EXPECT_NEAR(double(kept), n * (1 - p), 5 * sigma) << "p=" << p;
    // Kept values carry the scale, so the mean stays about 1.
    double total = 0;
    for (const float v : y) total += v;
    EXPECT_NEAR(total / n, 1.0, 5 * sigma / (n * (1 - p))) << "p=" << p;
  }
}

std::vector<float> mask_for(const PhiloxStream& s, int64_t n) {
  const std::vector<float> x(n, 1.0f);
  std::vector<float> y(n);
  cpu::dropout_apply(x.data(), y.data(), n, 0.5, s);
  return y;
}

TEST(DropoutKernel, MasksRepeatForOneKeyAndDifferAcrossSeedStepAndLayer) {
  const int64_t n = 4096;
  const std::vector<float> base = mask_for(dropout_stream(1, 2, 3), n);
  EXPECT_EQ(mask_for(dropout_stream(1, 2, 3), n), base);
  for (const PhiloxStream& other :
       {dropout_stream(2, 2, 3), dropout_stream(1, 3, 3), dropout_stream(1, 2, 4),
        dropout_stream(1ULL << 32 | 1, 2, 3)}) {
    const std::vector<float> m = mask_for(other, n);
    int64_t differ = 0;
    for (int64_t i = 0; i < n; ++i) differ += (m[i] != 0) != (base[i] != 0);
    // Independent masks at p = 0.5 disagree on half the elements.
    EXPECT_NEAR(double(differ), n / 2.0, 5 * std::sqrt(n / 4.0));
  }
}

TEST(DropoutKernel, SameBitsForOneAndTwoThreads) {
  const int64_t n = 300001;
  const std::vector<float> x = test::uniform_values<float>(n, 3);
  std::vector<float> one(n), two(n);
  {
    test::ScopedOmpThreads scoped(1);
    cpu::dropout_apply(x.data(), one.data(), n, 0.3, dropout_stream(5, 6, 7));
  }
  {
    test::ScopedOmpThreads scoped(2);
    cpu::dropout_apply(x.data(), two.data(), n, 0.3, dropout_stream(5, 6, 7));
  }
  EXPECT_EQ(std::memcmp(one.data(), two.data(), n * sizeof(float)), 0);
}

TEST(DropoutKernel, InPlaceIsAllowed) {
  const int64_t n = 1001;
  const std::vector<double> x = test::uniform_values<double>(n, 4);
  const std::vector<double> want = naive_dropout(x, 0.25, dropout_stream(8, 0, 0));
  std::vector<double> y = x;
  cpu::dropout_apply(y.data(), y.data(), n, 0.25, dropout_stream(8, 0, 0));
  EXPECT_EQ(y, want);
}

}  // namespace
}  // namespace rethink::kernels
