#include <gtest/gtest.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "kernels/bias.h"
#include "tests/support/data.h"
#include "tests/support/serial.h"

namespace rethink::kernels {
namespace {

template <class T>
class BiasAddRowsTest : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(BiasAddRowsTest, FloatTypes);

TYPED_TEST(BiasAddRowsTest, SmallExampleByHand) {
  using T = TypeParam;
  std::vector<T> y = {T(1), T(2), T(3), T(4), T(5), T(6)};  // [2, 3]
  const std::vector<T> b = {T(10), T(20), T(30)};
  cpu::bias_add_rows(b.data(), 2, 3, y.data());
  EXPECT_EQ(y, (std::vector<T>{T(11), T(22), T(33), T(14), T(25), T(36)}));
}

TYPED_TEST(BiasAddRowsTest, MatchesNaiveThroughEveryPath) {
  using T = TypeParam;
  for (const auto& [rows, cols] :
       std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {1, 7}, {5, 3}, {300, 70}}) {
    SCOPED_TRACE(::testing::Message() << rows << "x" << cols);
    const std::vector<T> y0 = test::uniform_values<T>(rows * cols, 1);
    const std::vector<T> b = test::uniform_values<T>(cols, 2);
    std::vector<T> want(y0);
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < cols; ++c) want[r * cols + c] = y0[r * cols + c] + b[c];
    }

    std::vector<T> y(y0);
    cpu::bias_add_rows(b.data(), rows, cols, y.data());
    EXPECT_EQ(y, want);

    std::vector<T> by_index(y0);
    test::run_each_index(rows * cols, BiasAddRows<T>{b.data(), cols, by_index.data()});
    EXPECT_EQ(by_index, want);

    std::vector<T> by_row_col(y0);
    test::run_each_row_col(rows, cols, BiasAddRows<T>{b.data(), cols, by_row_col.data()});
    EXPECT_EQ(by_row_col, want);
  }
}

}  // namespace
}  // namespace rethink::kernels
