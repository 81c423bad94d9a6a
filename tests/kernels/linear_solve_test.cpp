#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/linear_solve.h"
#include "tests/support/data.h"

namespace rethink::kernels {
namespace {

template <class T>
class LinearSolveTest : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(LinearSolveTest, FloatTypes);

// A symmetric positive definite [n, n]: B B^T + n I.
template <class T>
std::vector<T> spd_matrix(int64_t n, uint64_t seed) {
  const std::vector<double> b = test::uniform_values<double>(n * n, seed);
  std::vector<T> a(static_cast<size_t>(n * n));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double s = i == j ? double(n) : 0.0;
      for (int64_t k = 0; k < n; ++k) s += b[i * n + k] * b[j * n + k];
      a[i * n + j] = static_cast<T>(s);
    }
  }
  return a;
}

// max over right-hand sides r and rows i of |(A x_r)_i - b_r[i]| for the row-major A.
template <class T>
double residual(const std::vector<T>& a, int64_t n, const std::vector<T>& x,
                const std::vector<T>& b, int64_t nrhs) {
  double worst = 0;
  for (int64_t r = 0; r < nrhs; ++r) {
    for (int64_t i = 0; i < n; ++i) {
      double s = 0;
      for (int64_t j = 0; j < n; ++j) s += double(a[i * n + j]) * double(x[r * n + j]);
      worst = std::max(worst, std::abs(s - double(b[r * n + i])));
    }
  }
  return worst;
}

TYPED_TEST(LinearSolveTest, CholeskySolvesReadingOnlyTheLowerTriangle) {
  using T = TypeParam;
  const int64_t n = 41, nrhs = 3;
  const std::vector<T> a = spd_matrix<T>(n, 1);
  const std::vector<T> b = test::uniform_values<T>(nrhs * n, 2);
  std::vector<T> work(a);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = i + 1; j < n; ++j) work[i * n + j] = T(1e30);  // never read
  }
  std::vector<T> x(b);
  ASSERT_TRUE(cpu::cholesky_solve(work.data(), n, x.data(), nrhs));
  EXPECT_LT(residual(a, n, x, b, nrhs), sizeof(T) == 4 ? 1e-3 : 1e-10);

  double want = 0;  // sum_r x_r^T A x_r, directly
  for (int64_t r = 0; r < nrhs; ++r) {
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < n; ++j) want += double(x[r * n + i]) * a[i * n + j] * x[r * n + j];
    }
  }
  EXPECT_NEAR(cpu::cholesky_quadratic_form(work.data(), n, x.data(), nrhs), want,
              (sizeof(T) == 4 ? 1e-4 : 1e-11) * want);
}

TYPED_TEST(LinearSolveTest, CholeskyReportsAMatrixThatIsNotPositiveDefinite) {
  using T = TypeParam;
  std::vector<T> a = {T(1), T(2), T(2), T(1)};  // eigenvalues 3 and -1
  std::vector<T> b = {T(1), T(1)};
  EXPECT_FALSE(cpu::cholesky_solve(a.data(), 2, b.data(), 1));
  EXPECT_EQ(b, (std::vector<T>{T(1), T(1)}));  // the right-hand side is untouched
}

TYPED_TEST(LinearSolveTest, LuSolvesTheTransposedSystemAndReportsSingularity) {
  using T = TypeParam;
  const int64_t n = 17, nrhs = 2;
  const std::vector<T> a = test::uniform_values<T>(n * n, 3);  // general, not symmetric
  const std::vector<T> b = test::uniform_values<T>(nrhs * n, 4);
  std::vector<T> at(static_cast<size_t>(n * n));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) at[j * n + i] = a[i * n + j];
  }
  std::vector<T> work(a), x(b);
  ASSERT_TRUE(cpu::lu_solve_transposed(work.data(), n, x.data(), nrhs));
  EXPECT_LT(residual(at, n, x, b, nrhs), sizeof(T) == 4 ? 1e-3 : 1e-10);

  std::vector<T> singular = {T(1), T(2), T(2), T(4)}, rhs = {T(1), T(1)};
  EXPECT_FALSE(cpu::lu_solve_transposed(singular.data(), 2, rhs.data(), 1));
}

}  // namespace
}  // namespace rethink::kernels
