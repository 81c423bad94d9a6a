#include "kernels/gemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "kernels/error.h"
#include "kernels/philox.h"
#include "tests/support/naive.h"

namespace rethink::kernels {
namespace {

template <class T>
std::vector<T> random_values(size_t n, uint64_t seed) {
  const auto s = PhiloxStream::make(seed, RngPurpose::kData);
  std::vector<T> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<T>(2 * s.uniform_double(i) - 1);
  return v;
}

struct GemmCase {
  int64_t m, n, k;
  int64_t pad;  // extra elements per row beyond what the leading dimension needs
  double alpha, beta;
};

std::string describe(bool ta, bool tb, const GemmCase& c) {
  return "trans_a=" + std::to_string(ta) + " trans_b=" + std::to_string(tb) +
         " m=" + std::to_string(c.m) + " n=" + std::to_string(c.n) + " k=" + std::to_string(c.k) +
         " pad=" + std::to_string(c.pad) + " alpha=" + std::to_string(c.alpha) +
         " beta=" + std::to_string(c.beta);
}

// Runs one GEMM against the naive loop. Padding elements of A and B hold NaN (a GEMM that read
// them would produce NaN), and padding elements of C must come back untouched.
template <class T>
void check_gemm(bool ta, bool tb, const GemmCase& c, double tol) {
  SCOPED_TRACE(describe(ta, tb, c));
  const int64_t a_rows = ta ? c.k : c.m, a_cols = ta ? c.m : c.k;
  const int64_t b_rows = tb ? c.n : c.k, b_cols = tb ? c.k : c.n;
  const int64_t lda = a_cols + c.pad, ldb = b_cols + c.pad, ldc = c.n + c.pad;
  const T nan = std::numeric_limits<T>::quiet_NaN();
  const T sentinel = T(1234.5);

  std::vector<T> a = random_values<T>(static_cast<size_t>(a_rows * lda), 1);
  std::vector<T> b = random_values<T>(static_cast<size_t>(b_rows * ldb), 2);
  std::vector<T> cm = random_values<T>(static_cast<size_t>(c.m * ldc), 3);
  for (int64_t r = 0; r < a_rows; ++r) {
    for (int64_t j = a_cols; j < lda; ++j) a[r * lda + j] = nan;
  }
  for (int64_t r = 0; r < b_rows; ++r) {
    for (int64_t j = b_cols; j < ldb; ++j) b[r * ldb + j] = nan;
  }
  for (int64_t r = 0; r < c.m; ++r) {
    for (int64_t j = c.n; j < ldc; ++j) cm[r * ldc + j] = sentinel;
  }

  const std::vector<double> want =
      test::naive_gemm(ta, tb, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, cm, ldc);
  cpu::gemm<T>(ta, tb, c.m, c.n, c.k, T(c.alpha), a.data(), lda, b.data(), ldb, T(c.beta),
               cm.data(), ldc);
  for (int64_t r = 0; r < c.m; ++r) {
    for (int64_t j = 0; j < ldc; ++j) {
      const size_t i = static_cast<size_t>(r * ldc + j);
      if (j < c.n) {
        ASSERT_NEAR(double(cm[i]), want[i], tol) << "C[" << r << ", " << j << "]";
      } else {
        ASSERT_EQ(cm[i], sentinel) << "padding C[" << r << ", " << j << "] was written";
      }
    }
  }
}

const GemmCase kCases[] = {
    {1, 1, 1, 0, 1.0, 0.0},   {7, 5, 3, 0, 1.0, 0.0},     {33, 17, 9, 0, 1.0, 0.0},
    {7, 5, 3, 0, 0.5, -1.5},  {33, 17, 9, 0, -2.0, 0.25}, {1, 1, 1, 0, 3.0, 2.0},
    {7, 5, 3, 4, 1.0, 0.0},   {33, 17, 9, 5, 0.5, 1.0},   {1, 1, 1, 2, 2.0, -1.0},
    {5, 33, 17, 3, 1.0, 0.0},
};

template <class T>
class GemmTest : public ::testing::Test {};
using GemmTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(GemmTest, GemmTypes);

// Inputs are in [-1, 1] and k <= 33: float error stays well under 1e-4.
template <class T>
double tolerance() {
  return std::is_same_v<T, float> ? 1e-4 : 1e-12;
}

TYPED_TEST(GemmTest, NoTransposeMatchesNaive) {
  for (const GemmCase& c : kCases) check_gemm<TypeParam>(false, false, c, tolerance<TypeParam>());
}

TYPED_TEST(GemmTest, TransposeAMatchesNaive) {
  for (const GemmCase& c : kCases) check_gemm<TypeParam>(true, false, c, tolerance<TypeParam>());
}

TYPED_TEST(GemmTest, TransposeBMatchesNaive) {
  for (const GemmCase& c : kCases) check_gemm<TypeParam>(false, true, c, tolerance<TypeParam>());
}

TYPED_TEST(GemmTest, TransposeBothMatchesNaive) {
  for (const GemmCase& c : kCases) check_gemm<TypeParam>(true, true, c, tolerance<TypeParam>());
}

// linear() writes its output with beta = 0 into freshly allocated, uninitialized memory: NaN
// bit patterns there must not leak into the result.
TYPED_TEST(GemmTest, BetaZeroIgnoresWhatCHeld) {
  using T = TypeParam;
  const int64_t m = 3, n = 4, k = 5;
  const std::vector<T> a = random_values<T>(m * k, 4), b = random_values<T>(k * n, 5);
  std::vector<T> c(m * n, std::numeric_limits<T>::quiet_NaN());
  const std::vector<T> zeros(m * n, T(0));
  const std::vector<double> want =
      test::naive_gemm(false, false, m, n, k, 1.0, a, k, b, n, 0.0, zeros, n);
  cpu::gemm<T>(false, false, m, n, k, T(1), a.data(), k, b.data(), n, T(0), c.data(), n);
  for (size_t i = 0; i < c.size(); ++i) EXPECT_NEAR(double(c[i]), want[i], tolerance<T>()) << i;
}

// k = 0 is an empty sum: C = beta * C.
TYPED_TEST(GemmTest, EmptyInnerDimensionScalesC) {
  using T = TypeParam;
  std::vector<T> c = {T(1), T(2), T(3), T(4), T(5), T(6)};
  const T unused = T(0);
  cpu::gemm<T>(false, false, 2, 3, 0, T(1), &unused, 1, &unused, 3, T(2), c.data(), 3);
  EXPECT_EQ(c, (std::vector<T>{T(2), T(4), T(6), T(8), T(10), T(12)}));
}

// linear's backward with an empty batch: dW = dy^T x with k = 0 into uninitialized memory
// must come out zero, not keep what the allocation held.
TYPED_TEST(GemmTest, EmptyInnerDimensionWithBetaZeroZeroesC) {
  using T = TypeParam;
  std::vector<T> c(6, std::numeric_limits<T>::quiet_NaN());
  const T unused = T(0);
  cpu::gemm<T>(true, false, 2, 3, 0, T(1), &unused, 2, &unused, 3, T(0), c.data(), 3);
  EXPECT_EQ(c, std::vector<T>(6, T(0)));
}

TYPED_TEST(GemmTest, TooSmallLeadingDimensionThrows) {
  using T = TypeParam;
  std::vector<T> a(64), b(64), c(64);
  // A is [m=4, k=3] untransposed, so lda must be at least 3.
  EXPECT_THROW(
      cpu::gemm<T>(false, false, 4, 2, 3, T(1), a.data(), 2, b.data(), 2, T(0), c.data(), 2),
      Error);
  // Transposed A is stored [k=3, m=4]: lda must be at least 4.
  EXPECT_THROW(
      cpu::gemm<T>(true, false, 4, 2, 3, T(1), a.data(), 3, b.data(), 2, T(0), c.data(), 2), Error);
  // B is [k=3, n=2]: ldb >= 2; transposed B is [n=2, k=3]: ldb >= 3.
  EXPECT_THROW(
      cpu::gemm<T>(false, false, 4, 2, 3, T(1), a.data(), 3, b.data(), 1, T(0), c.data(), 2),
      Error);
  EXPECT_THROW(
      cpu::gemm<T>(false, true, 4, 2, 3, T(1), a.data(), 3, b.data(), 2, T(0), c.data(), 2), Error);
  // C is [m=4, n=2]: ldc >= 2.
  EXPECT_THROW(
      cpu::gemm<T>(false, false, 4, 2, 3, T(1), a.data(), 3, b.data(), 2, T(0), c.data(), 1),
      Error);
}

TYPED_TEST(GemmTest, ExactLeadingDimensionsAreAccepted) {
  using T = TypeParam;
  std::vector<T> a(64), b(64), c(64);
  EXPECT_NO_THROW(
      cpu::gemm<T>(true, true, 4, 2, 3, T(1), a.data(), 4, b.data(), 3, T(0), c.data(), 2));
}

TYPED_TEST(GemmTest, BadLeadingDimensionMessageNamesTheValues) {
  using T = TypeParam;
  std::vector<T> a(64), b(64), c(64);
  try {
    cpu::gemm<T>(false, false, 4, 2, 3, T(1), a.data(), 2, b.data(), 2, T(0), c.data(), 2);
    FAIL() << "expected rethink::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("lda=2"), std::string::npos) << e.what();
  }
}

TYPED_TEST(GemmTest, NegativeSizeThrows) {
  using T = TypeParam;
  std::vector<T> a(64), b(64), c(64);
  EXPECT_THROW(
      cpu::gemm<T>(false, false, -1, 2, 3, T(1), a.data(), 3, b.data(), 2, T(0), c.data(), 2),
      Error);
}

}  // namespace
}  // namespace rethink::kernels
