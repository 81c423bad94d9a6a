#include "runtime/ops/relu.h"

#include <gtest/gtest.h>

#include <vector>

#include "runtime/ops/softmax_cross_entropy.h"
#include "tests/support/data.h"
#include "tests/support/gradcheck.h"

namespace rethink::ops {
namespace {

using test::gradcheck;
using test::random_tensor_away_from_zero;

TEST(Relu, ForwardMatchesNaiveFloat32) {
  std::vector<float> xv = test::uniform_values<float>(2 * 3 * 5, 1);
  xv[0] = 0;
  const Tensor y = relu(Tensor::from_vector(Shape{2, 3, 5}, xv));
  EXPECT_EQ(y.shape(), (Shape{2, 3, 5}));
  std::vector<float> want(xv.size());
  for (size_t i = 0; i < xv.size(); ++i) want[i] = xv[i] > 0 ? xv[i] : 0.0f;
  EXPECT_EQ(y.to_vector<float>(), want);
}

TEST(Relu, DoesNotModifyItsInput) {
  const Tensor x = Tensor::from_vector(Shape{3}, std::vector<double>{-1, 0, 2});
  const Tensor y = relu(x);
  EXPECT_FALSE(y.shares_memory_with(x));
  EXPECT_EQ(x.to_vector<double>(), (std::vector<double>{-1, 0, 2}));
}

TEST(Relu, BackwardMatchesFiniteDifferences) {
  for (const Shape& shape : {Shape{1, 1}, Shape{1, 7}, Shape{3, 7}, Shape{2, 3, 4}}) {
    EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return test::project(relu(v[0])); },
                          {random_tensor_away_from_zero(shape, 2)}))
        << shape.to_string();
  }
}

TEST(Relu, BackwardThroughCrossEntropyMatchesFiniteDifferences) {
  const Tensor labels = test::random_labels(4, 7, 3);
  EXPECT_TRUE(gradcheck(
      [&](const std::vector<Tensor>& v) { return softmax_cross_entropy(relu(v[0]), labels); },
      {random_tensor_away_from_zero(Shape{4, 7}, 4)}));
}

TEST(Relu, RejectsIntegerTensors) {
  EXPECT_THROW(relu(Tensor::zeros(Shape{2}, DType::kInt32)), Error);
}

}  // namespace
}  // namespace rethink::ops
