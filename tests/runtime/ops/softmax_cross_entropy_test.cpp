#include "runtime/ops/softmax_cross_entropy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <utility>
#include <vector>

#include "tests/support/data.h"
#include "tests/support/gradcheck.h"
#include "tests/support/naive.h"
#include "tests/support/throws.h"

namespace rethink::ops {
namespace {

using test::gradcheck;
using test::random_labels;
using test::random_tensor;
using test::throws_with;

TEST(SoftmaxCrossEntropy, ForwardMatchesNaiveFloat32) {
  for (const auto& [rows, classes] :
       std::vector<std::pair<int64_t, int64_t>>{{1, 2}, {3, 7}, {64, 10}, {1, 1}}) {
    const auto logits = test::uniform_values<float>(rows * classes, 1, -4, 4);
    const auto labels = test::index_values(rows, static_cast<uint32_t>(classes), 2);
    const std::vector<double> per_row = test::naive_row_xent(logits, labels, rows, classes);
    double want = 0;
    for (double l : per_row) want += l;
    want /= double(rows);
    const Tensor loss = softmax_cross_entropy(Tensor::from_vector(Shape{rows, classes}, logits),
                                              Tensor::from_vector(Shape{rows}, labels));
    EXPECT_EQ(loss.shape(), Shape{});
    EXPECT_EQ(loss.dtype(), DType::kFloat32);
    EXPECT_NEAR(loss.item<float>(), want, 1e-5) << rows << "x" << classes;
  }
}

TEST(SoftmaxCrossEntropy, UniformLogitsGiveLogClasses) {
  const Tensor loss =
      softmax_cross_entropy(Tensor::zeros(Shape{4, 7}, DType::kFloat64), random_labels(4, 7, 3));
  EXPECT_NEAR(loss.item<double>(), std::log(7.0), 1e-12);
}

TEST(SoftmaxCrossEntropy, HugeLogitsStayFinite) {
  Tensor logits =
      Tensor::from_vector(Shape{2, 3}, std::vector<float>{1000, 0, -1000, 1000, 1000, -1000});
  logits.set_requires_grad(true);
  const Tensor labels = Tensor::from_vector(Shape{2}, std::vector<int32_t>{1, 0});
  const Tensor loss = softmax_cross_entropy(logits, labels);
  ASSERT_TRUE(std::isfinite(loss.item<float>()));
  EXPECT_NEAR(loss.item<float>(), (1000 + std::log(2.0)) / 2, 1e-3);
  loss.backward();
  for (const float g : logits.grad().to_vector<float>()) EXPECT_TRUE(std::isfinite(g)) << g;
}

TEST(SoftmaxCrossEntropy, BackwardMatchesFiniteDifferences) {
  for (const auto& [rows, classes] :
       std::vector<std::pair<int64_t, int64_t>>{{1, 2}, {1, 7}, {3, 2}, {5, 7}}) {
    const Tensor labels = random_labels(rows, classes, 4);
    EXPECT_TRUE(
        gradcheck([&](const std::vector<Tensor>& v) { return softmax_cross_entropy(v[0], labels); },
                  {random_tensor(Shape{rows, classes}, 5, -3, 3)}))
        << rows << "x" << classes;
  }
}

// The loss as an intermediate: backward must scale by the incoming gradient, not assume 1.
TEST(SoftmaxCrossEntropy, BackwardScalesByTheIncomingGradient) {
  const Tensor labels = random_labels(3, 4, 6);
  EXPECT_TRUE(gradcheck(
      [&](const std::vector<Tensor>& v) {
        return test::project(softmax_cross_entropy(v[0], labels), 77);
      },
      {random_tensor(Shape{3, 4}, 7)}));
}

TEST(SoftmaxCrossEntropy, LabelOutOfRangeNamesTheLabelAndRow) {
  const Tensor logits = Tensor::zeros(Shape{3, 4});
  EXPECT_TRUE(throws_with<Error>(
      [&] {
        softmax_cross_entropy(logits, Tensor::from_vector(Shape{3}, std::vector<int32_t>{0, 3, 4}));
      },
      {"label 4", "row 2", "[0, 4)"}));
  EXPECT_TRUE(throws_with<Error>(
      [&] {
        softmax_cross_entropy(logits,
                              Tensor::from_vector(Shape{3}, std::vector<int32_t>{0, -1, 1}));
      },
      {"label -1", "row 1"}));
}

TEST(SoftmaxCrossEntropy, RejectsBadLabelTensors) {
  const Tensor logits = Tensor::zeros(Shape{3, 4});
  EXPECT_THROW(softmax_cross_entropy(logits, Tensor::zeros(Shape{3}, DType::kFloat32)), Error);
  EXPECT_TRUE(throws_with<Error>(
      [&] { softmax_cross_entropy(logits, Tensor::zeros(Shape{2}, DType::kInt32)); },
      {"[3, 4]", "[2]"}));
  EXPECT_THROW(softmax_cross_entropy(logits, Tensor::zeros(Shape{3, 1}, DType::kInt32)), Error);
}

}  // namespace
}  // namespace rethink::ops
