#include "kernels/gather_rows.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <tuple>
#include <vector>

#include "tests/support/data.h"
#include "tests/support/serial.h"

namespace rethink::kernels {
namespace {

template <class T>
class GatherRowsTest : public ::testing::Test {};
using AllTypes = ::testing::Types<float, double, int32_t, uint8_t>;
TYPED_TEST_SUITE(GatherRowsTest, AllTypes);

template <class T>
std::vector<T> naive_gather(const std::vector<T>& src, const std::vector<int32_t>& index,
                            int64_t row_size) {
  std::vector<T> dst;
  for (const int32_t r : index) {
    for (int64_t c = 0; c < row_size; ++c) dst.push_back(src[r * row_size + c]);
  }
  return dst;
}

TYPED_TEST(GatherRowsTest, SmallExampleByHand) {
  using T = TypeParam;
  const std::vector<T> src = {T(0), T(1), T(10), T(11), T(20), T(21)};  // 3 rows of 2
  const std::vector<int32_t> index = {2, 0, 2};                         // repeats allowed
  std::vector<T> dst(6);
  cpu::gather_rows(src.data(), index.data(), 3, 2, dst.data());
  EXPECT_EQ(dst, (std::vector<T>{T(20), T(21), T(0), T(1), T(20), T(21)}));
}

TYPED_TEST(GatherRowsTest, MatchesNaiveThroughEveryPath) {
  using T = TypeParam;
  // Rows of 3 and 785 (an MNIST-sized row plus a label byte); the larger runs in parallel.
  for (const auto& [src_rows, rows, row_size] :
       std::vector<std::tuple<int64_t, int64_t, int64_t>>{{5, 4, 3}, {100, 64, 785}}) {
    SCOPED_TRACE(::testing::Message() << rows << " rows of " << row_size);
    std::vector<T> src(static_cast<size_t>(src_rows * row_size));
    for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<T>(i % 251);
    const std::vector<int32_t> index = test::index_values(rows, static_cast<uint32_t>(src_rows), 7);
    const std::vector<T> want = naive_gather(src, index, row_size);

    std::vector<T> dst(static_cast<size_t>(rows * row_size));
    cpu::gather_rows(src.data(), index.data(), rows, row_size, dst.data());
    EXPECT_EQ(dst, want);

    const GatherRows<T> f{src.data(), index.data(), row_size, nullptr};
    std::vector<T> by_index(dst.size());
    auto fi = f;
    fi.dst = by_index.data();
    test::run_each_index(rows * row_size, fi);
    EXPECT_EQ(by_index, want);

    std::vector<T> by_row_col(dst.size());
    auto frc = f;
    frc.dst = by_row_col.data();
    test::run_each_row_col(rows, row_size, frc);
    EXPECT_EQ(by_row_col, want);
  }
}

}  // namespace
}  // namespace rethink::kernels
