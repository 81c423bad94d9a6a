#include "runtime/ops/flatten.h"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "runtime/ops/linear.h"
#include "runtime/ops/softmax_cross_entropy.h"
#include "tests/support/gradcheck.h"

namespace rethink::ops {
namespace {

using test::gradcheck;
using test::random_tensor;

TEST(Flatten, KeepsTheBatchAndRowMajorOrder) {
  std::vector<float> v(2 * 3 * 4);
  std::iota(v.begin(), v.end(), 0.0f);
  const Tensor x = Tensor::from_vector(Shape{2, 3, 4}, v);
  const Tensor y = flatten(x);
  EXPECT_EQ(y.shape(), (Shape{2, 12}));
  EXPECT_EQ(y.to_vector<float>(), v);  // element [n, c, h] goes to [n, c * 4 + h]
  EXPECT_TRUE(y.shares_memory_with(x));
}

TEST(Flatten, RankOneAndRankTwoInputs) {
  EXPECT_EQ(flatten(Tensor::zeros(Shape{5})).shape(), (Shape{5, 1}));
  EXPECT_EQ(flatten(Tensor::zeros(Shape{5, 3})).shape(), (Shape{5, 3}));
  EXPECT_EQ(flatten(Tensor::zeros(Shape{0, 3, 2})).shape(), (Shape{0, 0}));
}

TEST(Flatten, ScalarThrows) { EXPECT_THROW(flatten(Tensor::zeros(Shape{})), Error); }

TEST(Flatten, BackwardMatchesFiniteDifferences) {
  for (const Shape& shape : {Shape{1, 1, 1}, Shape{3, 2, 5}, Shape{2, 1, 3, 2}}) {
    EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return test::project(flatten(v[0])); },
                          {random_tensor(shape, 1)}))
        << shape.to_string();
  }
}

TEST(Flatten, BackwardRestoresTheInputShape) {
  Tensor x = random_tensor(Shape{2, 3, 2}, 2);
  x.set_requires_grad(true);
  test::project(flatten(x)).backward();
  EXPECT_EQ(x.grad().shape(), (Shape{2, 3, 2}));
}

TEST(Flatten, BackwardThroughLinearAndCrossEntropyMatchesFiniteDifferences) {
  const Tensor labels = test::random_labels(2, 7, 3);
  EXPECT_TRUE(gradcheck(
      [&](const std::vector<Tensor>& v) {
        return softmax_cross_entropy(linear(flatten(v[0]), v[1], v[2]), labels);
      },
      {random_tensor(Shape{2, 3, 2}, 4), random_tensor(Shape{7, 6}, 5),
       random_tensor(Shape{7}, 6)}));
}

}  // namespace
}  // namespace rethink::ops
