#include "runtime/ops/accuracy.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/support/throws.h"

namespace rethink::ops {
namespace {

TEST(CountCorrect, CountsRowsWhoseFirstMaximumIsTheLabel) {
  const std::vector<float> values = {
      0.1f, 0.7f, 0.2f,   // predicts 1
      5,    5,    1,      // tie: predicts 0
      5,    5,    1,      // tie, label 1: wrong
      -1,   -2,   -0.5f,  // predicts 2
  };
  const Tensor logits = Tensor::from_vector(Shape{4, 3}, values);
  const Tensor labels = Tensor::from_vector(Shape{4}, std::vector<int32_t>{1, 0, 1, 2});
  EXPECT_EQ(count_correct(logits, labels), 3);
}

TEST(CountCorrect, WorksInFloat64) {
  const Tensor logits = Tensor::from_vector(Shape{2, 2}, std::vector<double>{0, 1, 1, 0});
  EXPECT_EQ(count_correct(logits, Tensor::from_vector(Shape{2}, std::vector<int32_t>{1, 1})), 1);
}

TEST(CountCorrect, RejectsMismatchedOrNonIntegerLabels) {
  const Tensor logits = Tensor::zeros(Shape{3, 2});
  EXPECT_TRUE(test::throws_with<Error>(
      [&] { count_correct(logits, Tensor::zeros(Shape{2}, DType::kInt32)); }, {"[3, 2]", "[2]"}));
  EXPECT_THROW(count_correct(logits, Tensor::zeros(Shape{3}, DType::kFloat32)), Error);
}

}  // namespace
}  // namespace rethink::ops
