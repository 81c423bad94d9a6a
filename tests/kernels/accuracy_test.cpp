#include "kernels/accuracy.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tests/support/data.h"
#include "tests/support/serial.h"

namespace rethink::kernels {
namespace {

template <class T>
class Top1Test : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(Top1Test, FloatTypes);

// On a tie the first maximum is the prediction, as torch.argmax and numpy.argmax choose.
TYPED_TEST(Top1Test, TiesGoToTheFirstMaximum) {
  using T = TypeParam;
  const std::vector<T> logits = {
      T(1), T(3), T(3),  // max at 1 and 2: predicts 1
      T(1), T(3), T(3),  // same row, label 2: wrong
      T(2), T(2), T(2),  // all equal: predicts 0
      T(5), T(2), T(5),  // max at 0 and 2, label 2: wrong
  };
  const std::vector<int32_t> labels = {1, 2, 0, 2};
  std::vector<uint8_t> correct(4, 7);
  EXPECT_EQ(cpu::count_top1_correct(logits.data(), labels.data(), 4, 3, correct.data()), 2);
  EXPECT_EQ(correct, (std::vector<uint8_t>{1, 0, 1, 0}));
}

TYPED_TEST(Top1Test, MatchesNaiveAndFunctor) {
  using T = TypeParam;
  // More rows than one reduction chunk, so the count is summed over several chunks.
  const int64_t rows = 10007, classes = 7;
  std::vector<T> logits = test::uniform_values<T>(rows * classes, 1);
  // Rounded to a coarse grid so that ties occur often.
  for (T& v : logits) v = static_cast<T>(static_cast<int>(v * 4)) / T(4);
  const std::vector<int32_t> labels = test::index_values(rows, classes, 2);

  std::vector<uint8_t> want(rows);
  int64_t want_count = 0;
  for (int64_t r = 0; r < rows; ++r) {
    int64_t best = 0;
    for (int64_t k = 1; k < classes; ++k) {
      if (logits[r * classes + k] > logits[r * classes + best]) best = k;
    }
    want[r] = best == labels[r];
    want_count += want[r];
  }

  std::vector<uint8_t> correct(rows);
  EXPECT_EQ(cpu::count_top1_correct(logits.data(), labels.data(), rows, classes, correct.data()),
            want_count);
  EXPECT_EQ(correct, want);

  std::vector<uint8_t> by_index(rows);
  test::run_each_index(rows,
                       Top1CorrectRow<T>{logits.data(), labels.data(), classes, by_index.data()});
  EXPECT_EQ(by_index, want);
}

}  // namespace
}  // namespace rethink::kernels
