#include "kernels/concat.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tests/support/data.h"
#include "tests/support/serial.h"

namespace rethink::kernels {
namespace {

template <class T>
class ConcatTest : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(ConcatTest, FloatTypes);

// (rows, widths): one row, one-column inputs, a zero-width input, widths not a multiple of 4,
// and enough elements for the OpenMP path.
struct Case {
  int64_t rows;
  std::vector<int64_t> widths;
};
const std::vector<Case> kCases = {
    {1, {3}},       {1, {1, 1}}, {4, {1, 3, 5}},      {7, {32, 5}},
    {5, {2, 0, 3}}, {3, {0}},    {2000, {32, 3, 64}}, {20000, {1, 1}}};

TYPED_TEST(ConcatTest, ConcatAndSplitMatchNaive) {
  using T = TypeParam;
  for (const Case& k : kCases) {
    int64_t total = 0;
    for (const int64_t w : k.widths) total += w;
    SCOPED_TRACE(::testing::Message()
                 << k.rows << " rows, " << k.widths.size() << " inputs, " << total << " columns");
    std::vector<std::vector<T>> xs;
    for (size_t i = 0; i < k.widths.size(); ++i) {
      xs.push_back(test::uniform_values<T>(k.rows * k.widths[i], 10 + i));
    }
    std::vector<T> want(static_cast<size_t>(k.rows * total));
    for (int64_t r = 0; r < k.rows; ++r) {
      int64_t c = 0;
      for (size_t i = 0; i < xs.size(); ++i) {
        for (int64_t j = 0; j < k.widths[i]; ++j)
          want[r * total + c++] = xs[i][r * k.widths[i] + j];
      }
    }

    std::vector<T> y(want.size(), T(-7)), by_index(want.size(), T(-7));
    int64_t offset = 0;
    for (size_t i = 0; i < xs.size(); ++i) {
      cpu::concat_columns(xs[i].data(), k.rows, k.widths[i], y.data(), total, offset);
      test::run_each_index(
          k.rows * k.widths[i],
          CopyColumns<T>{xs[i].data(), k.widths[i], by_index.data() + offset, total, k.widths[i]});
      offset += k.widths[i];
    }
    EXPECT_EQ(y, want);
    EXPECT_EQ(by_index, want);

    // The split reads every input's slice back out of the concatenation.
    offset = 0;
    for (size_t i = 0; i < xs.size(); ++i) {
      std::vector<T> dx(xs[i].size(), T(-7)), dx_by_index(xs[i].size(), T(-7));
      cpu::split_columns(y.data(), k.rows, total, offset, k.widths[i], dx.data());
      test::run_each_row_col(
          k.rows, k.widths[i],
          CopyColumns<T>{y.data() + offset, total, dx_by_index.data(), k.widths[i], k.widths[i]});
      EXPECT_EQ(dx, xs[i]) << "input " << i;
      EXPECT_EQ(dx_by_index, xs[i]) << "input " << i;
      offset += k.widths[i];
    }
  }
}

}  // namespace
}  // namespace rethink::kernels
