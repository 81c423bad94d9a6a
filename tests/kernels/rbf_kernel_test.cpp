#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/rbf_kernel.h"
#include "tests/support/data.h"

namespace rethink::kernels {
namespace {

template <class T>
class RbfKernelTest : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(RbfKernelTest, FloatTypes);

TYPED_TEST(RbfKernelTest, SquaredNormsAreSumsOfSquares) {
  using T = TypeParam;
  const std::vector<T> x = {T(1), T(2), T(3), T(0), T(-4), T(0.5)};  // [2, 3]
  std::vector<T> norms(2);
  cpu::squared_norms(x.data(), 2, 3, norms.data());
  EXPECT_EQ(norms, (std::vector<T>{T(14), T(16.25)}));
}

TYPED_TEST(RbfKernelTest, BlocksMatchTheDefinitionInsideALargerMatrix) {
  using T = TypeParam;
  const int64_t rows = 37, cols = 23, d = 11, ldk = 30;
  const double gamma = 0.3;
  const std::vector<T> x = test::uniform_values<T>(rows * d, 1);
  const std::vector<T> y = test::uniform_values<T>(cols * d, 2);
  std::vector<T> xn(rows), yn(cols);
  cpu::squared_norms(x.data(), rows, d, xn.data());
  cpu::squared_norms(y.data(), cols, d, yn.data());
  std::vector<T> k(static_cast<size_t>(rows * ldk), T(-5));  // columns past `cols` stay -5
  cpu::rbf_block(x.data(), xn.data(), rows, y.data(), yn.data(), cols, d, T(gamma), k.data(),
                 ldk);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < ldk; ++c) {
      if (c >= cols) {
        EXPECT_EQ(k[r * ldk + c], T(-5)) << r << "," << c;
        continue;
      }
      double dist = 0;
      for (int64_t j = 0; j < d; ++j) {
        const double diff = double(x[r * d + j]) - double(y[c * d + j]);
        dist += diff * diff;
      }
      EXPECT_NEAR(k[r * ldk + c], std::exp(-gamma * dist), sizeof(T) == 4 ? 2e-6 : 1e-13)
          << r << "," << c;
    }
  }
}

TYPED_TEST(RbfKernelTest, APointAgainstItselfIsExactlyOne) {
  using T = TypeParam;
  // Large coordinates: ||x||^2 + ||x||^2 - 2 <x, x> rounds to a small nonzero, maybe negative.
  const std::vector<T> x = test::uniform_values<T>(5 * 64, 3, 100, 101);
  std::vector<T> norms(5), k(25);
  cpu::squared_norms(x.data(), 5, 64, norms.data());
  cpu::rbf_block(x.data(), norms.data(), 5, x.data(), norms.data(), 5, 64, T(1e-6), k.data(), 5);
  for (int64_t i = 0; i < 5; ++i) {
    EXPECT_LE(k[i * 5 + i], T(1));
    EXPECT_NEAR(k[i * 5 + i], T(1), sizeof(T) == 4 ? 1e-3 : 1e-9);
  }
}

TYPED_TEST(RbfKernelTest, TheRidgeGoesOnTheDiagonalOnly) {
  using T = TypeParam;
  const int64_t n = 4, ld = 6;
  std::vector<T> k(static_cast<size_t>(n * ld), T(2));
  cpu::add_ridge(T(0.5), n, k.data(), ld);
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t c = 0; c < ld; ++c) EXPECT_EQ(k[r * ld + c], r == c ? T(2.5) : T(2)) << r << c;
  }
}

}  // namespace
}  // namespace rethink::kernels
