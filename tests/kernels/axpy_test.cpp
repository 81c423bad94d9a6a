#include "kernels/axpy.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tests/support/data.h"
#include "tests/support/serial.h"

namespace rethink::kernels {
namespace {

template <class T>
class AxpyTest : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(AxpyTest, FloatTypes);

TYPED_TEST(AxpyTest, MatchesNaiveAndFunctor) {
  using T = TypeParam;
  for (const int64_t n : {1, 7, 20000}) {
    const std::vector<T> x = test::uniform_values<T>(n, 1);
    const std::vector<T> y0 = test::uniform_values<T>(n, 2);
    const T alpha = T(-0.75);
    std::vector<T> want(y0);
    for (size_t i = 0; i < want.size(); ++i) want[i] = y0[i] + alpha * x[i];

    std::vector<T> y(y0);
    cpu::axpy(alpha, x.data(), y.data(), n);
    for (size_t i = 0; i < y.size(); ++i)
      ASSERT_NEAR(y[i], want[i], 1e-6) << "n=" << n << " i=" << i;

    std::vector<T> by_index(y0);
    test::run_each_index(n, Axpy<T>{alpha, x.data(), by_index.data()});
    EXPECT_EQ(by_index, y) << "n=" << n;
  }
}

// Gradient accumulation relies on it: two additions of the same x give y + 2x.
TYPED_TEST(AxpyTest, Accumulates) {
  using T = TypeParam;
  const std::vector<T> x = {T(1), T(-2), T(0.5)};
  std::vector<T> y = {T(10), T(10), T(10)};
  cpu::axpy(T(1), x.data(), y.data(), 3);
  cpu::axpy(T(1), x.data(), y.data(), 3);
  EXPECT_EQ(y, (std::vector<T>{T(12), T(6), T(11)}));
}

}  // namespace
}  // namespace rethink::kernels
