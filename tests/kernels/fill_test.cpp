#include "kernels/fill.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tests/support/serial.h"

namespace rethink::kernels {
namespace {

template <class T>
class FillTest : public ::testing::Test {};
using AllTypes = ::testing::Types<float, double, int32_t, uint8_t>;
TYPED_TEST_SUITE(FillTest, AllTypes);

TYPED_TEST(FillTest, SetsEveryElementAndNothingElse) {
  using T = TypeParam;
  for (const int64_t n : {1, 5, 20000}) {
    // One guard element past the end must stay untouched.
    std::vector<T> y(static_cast<size_t>(n) + 1, T(3));
    cpu::fill(T(42), y.data(), n);
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(y[i], T(42)) << "n=" << n << " i=" << i;
    EXPECT_EQ(y.back(), T(3)) << "n=" << n;

    std::vector<T> by_index(static_cast<size_t>(n) + 1, T(3));
    test::run_each_index(n, Fill<T>{T(42), by_index.data()});
    EXPECT_EQ(by_index, y) << "n=" << n;
  }
}

TYPED_TEST(FillTest, ZeroLengthWritesNothing) {
  using T = TypeParam;
  T guard = T(9);
  cpu::fill(T(1), &guard, 0);
  EXPECT_EQ(guard, T(9));
}

}  // namespace
}  // namespace rethink::kernels
