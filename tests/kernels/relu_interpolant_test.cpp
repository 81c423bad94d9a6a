#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/relu_interpolant.h"
#include "tests/support/data.h"

namespace rethink::kernels {
namespace {

template <class T>
class ReluInterpolantTest : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(ReluInterpolantTest, FloatTypes);

TYPED_TEST(ReluInterpolantTest, SmallExampleByHand) {
  using T = TypeParam;
  // c(p) = 2 max(p - 0, 0) - 3 max(p - 1, 0)
  const std::vector<T> b = {T(0), T(1)}, w = {T(2), T(-3)}, p = {T(-1), T(0.5), T(2)};
  std::vector<T> out(3, T(-7));
  cpu::relu_interpolant(p.data(), 3, b.data(), w.data(), 2, out.data());
  EXPECT_EQ(out, (std::vector<T>{T(0), T(1), T(4) - T(3)}));
}

// Every hidden-unit count around the eight-lane blocking, and point counts on both sides of
// the parallel threshold.
TYPED_TEST(ReluInterpolantTest, MatchesANaiveSumForEveryUnitCount) {
  using T = TypeParam;
  for (const int64_t hidden : {1, 7, 8, 9, 16, 23, 1000}) {
    for (const int64_t points : {1, 5, 300}) {
      SCOPED_TRACE(::testing::Message() << hidden << " units, " << points << " points");
      const std::vector<T> b = test::uniform_values<T>(hidden, 1);
      const std::vector<T> w = test::uniform_values<T>(hidden, 2);
      const std::vector<T> p = test::uniform_values<T>(points, 3, -1.5, 1.5);
      std::vector<T> out(static_cast<size_t>(points));
      cpu::relu_interpolant(p.data(), points, b.data(), w.data(), hidden, out.data());
      for (int64_t i = 0; i < points; ++i) {
        double want = 0, scale = 0;
        for (int64_t j = 0; j < hidden; ++j) {
          const double h = std::max(0.0, double(p[i]) - double(b[j]));
          want += double(w[j]) * h;
          scale += std::abs(double(w[j]) * h);
        }
        const double tol = (sizeof(T) == 4 ? 1e-6 : 1e-14) * (1 + scale);
        EXPECT_NEAR(out[i], want, tol) << "point " << i;
      }
    }
  }
}

}  // namespace
}  // namespace rethink::kernels
