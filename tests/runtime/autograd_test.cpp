#include "runtime/autograd.h"

#include <gtest/gtest.h>

#include <vector>

#include "runtime/ops/flatten.h"
#include "runtime/ops/linear.h"
#include "runtime/ops/relu.h"
#include "runtime/ops/softmax_cross_entropy.h"
#include "tests/support/gradcheck.h"
#include "tests/support/throws.h"

namespace rethink {
namespace {

using test::gradcheck;
using test::random_labels;
using test::random_tensor;
using test::random_tensor_away_from_zero;
using test::throws_with;

Tensor leaf(Tensor t) {
  t.set_requires_grad(true);
  return t;
}

// The second pass finds the weight and bias gradients defined, so linear adds into them in
// place (GEMM with beta 1, bias sums with accumulate) rather than returning new tensors.
TEST(Autograd, GradientsAccumulateAcrossBackwardCalls) {
  const Tensor x = random_tensor(Shape{3, 4}, 1);
  const Tensor w = leaf(random_tensor(Shape{5, 4}, 2));
  const Tensor b = leaf(random_tensor(Shape{5}, 4));
  const Tensor labels = random_labels(3, 5, 3);
  const Tensor loss = ops::softmax_cross_entropy(ops::linear(x, w, b), labels);
  loss.backward();
  const Tensor w_grad = w.grad();
  const std::vector<std::vector<double>> once = {w.grad().to_vector<double>(),
                                                 b.grad().to_vector<double>()};
  loss.backward();  // the graph is kept: a second pass adds the same gradients again
  const std::vector<std::vector<double>> twice = {w.grad().to_vector<double>(),
                                                  b.grad().to_vector<double>()};
  for (size_t p = 0; p < once.size(); ++p) {
    ASSERT_EQ(once[p].size(), twice[p].size());
    for (size_t i = 0; i < once[p].size(); ++i) {
      ASSERT_NE(once[p][i], 0.0) << p << ", " << i;  // otherwise 2x would hold trivially
      EXPECT_EQ(twice[p][i], 2 * once[p][i]) << p << ", " << i;
    }
  }
  EXPECT_TRUE(w.grad().shares_memory_with(w_grad));  // accumulated in place
}

TEST(Autograd, BackwardOnALeafSeedsItsOwnGradient) {
  const Tensor x = leaf(Tensor::full(Shape{}, 3.0, DType::kFloat64));
  x.backward();
  EXPECT_EQ(x.grad().item<double>(), 1.0);
}

TEST(Autograd, NoGradGuardRecordsNothing) {
  const Tensor x = leaf(random_tensor(Shape{2, 3}, 4));
  const Tensor w = leaf(random_tensor(Shape{4, 3}, 5));
  {
    NoGradGuard guard;
    EXPECT_FALSE(grad_enabled());
    const Tensor y = ops::relu(ops::linear(x, w));
    EXPECT_EQ(y.grad_fn(), nullptr);
    EXPECT_FALSE(y.requires_grad());
    const Tensor loss = ops::softmax_cross_entropy(y, random_labels(2, 4, 6));
    EXPECT_EQ(loss.grad_fn(), nullptr);
    EXPECT_FALSE(loss.requires_grad());
    {
      NoGradGuard nested;
      EXPECT_FALSE(grad_enabled());
    }
    EXPECT_FALSE(grad_enabled()) << "a nested guard must restore the outer state, not 'on'";
  }
  EXPECT_TRUE(grad_enabled());
  EXPECT_NE(ops::linear(x, w).grad_fn(), nullptr);
}

TEST(Autograd, OpsOnInputsWithoutGradRecordNothing) {
  const Tensor y = ops::linear(random_tensor(Shape{2, 3}, 7), random_tensor(Shape{4, 3}, 8));
  EXPECT_EQ(y.grad_fn(), nullptr);
  EXPECT_FALSE(y.requires_grad());
}

TEST(Autograd, OnlyInputsRequiringGradGetGradients) {
  const Tensor x = random_tensor(Shape{2, 3}, 9);  // data: no gradient wanted
  const Tensor w = leaf(random_tensor(Shape{4, 3}, 10));
  const Tensor b = random_tensor(Shape{4}, 11);  // frozen bias
  ops::softmax_cross_entropy(ops::linear(x, w, b), random_labels(2, 4, 12)).backward();
  EXPECT_TRUE(w.grad().defined());
  EXPECT_FALSE(x.grad().defined());
  EXPECT_FALSE(b.grad().defined());
}

TEST(Autograd, BackwardOnTensorNotRequiringGradThrows) {
  const Tensor loss =
      ops::softmax_cross_entropy(random_tensor(Shape{2, 3}, 13), random_labels(2, 3, 14));
  EXPECT_TRUE(throws_with<Error>([&] { loss.backward(); }, {"does not require gradients"}));
}

TEST(Autograd, SetRequiresGradOnNonLeafThrows) {
  const Tensor x = leaf(random_tensor(Shape{2, 3}, 15));
  Tensor y = ops::relu(x);
  EXPECT_FALSE(y.is_leaf());
  EXPECT_TRUE(throws_with<Error>([&] { y.set_requires_grad(false); }, {"leaves"}));
}

TEST(Autograd, NonScalarBackwardWithoutSeedThrows) {
  const Tensor x = leaf(random_tensor(Shape{2, 3}, 16));
  const Tensor y = ops::relu(x);
  EXPECT_TRUE(throws_with<Error>([&] { y.backward(); }, {"seed", "[2, 3]"}));
}

TEST(Autograd, NonScalarBackwardWithSeedPassesTheSeedThrough) {
  const Tensor x = leaf(Tensor::from_vector(Shape{2, 2}, std::vector<double>{-1, 2, 3, -4}));
  const Tensor seed = Tensor::from_vector(Shape{2, 2}, std::vector<double>{10, 20, 30, 40});
  ops::relu(x).backward(seed);
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{0, 20, 30, 0}));
}

TEST(Autograd, SeedOfWrongShapeThrows) {
  const Tensor x = leaf(random_tensor(Shape{2, 3}, 17));
  EXPECT_TRUE(throws_with<Error>(
      [&] {
        ops::relu(x).backward(Tensor::zeros(Shape{3, 2}, DType::kFloat64));
      },
      {"[2, 3]", "[3, 2]"}));
}

// A gradient must have its tensor's dtype: a float32 seed for a float64 leaf would leave a
// float32 grad() that every later accumulation rejects.
TEST(Autograd, SeedOfWrongDtypeThrows) {
  const Tensor x = leaf(Tensor::full(Shape{2}, 1.0, DType::kFloat64));
  EXPECT_TRUE(throws_with<Error>([&] { x.backward(Tensor::full(Shape{2}, 1.0, DType::kFloat32)); },
                                 {"float32", "float64"}));
  if (x.grad().defined()) {
    EXPECT_EQ(dtype_name(x.grad().dtype()), "float64");
  }
}

// The same leaf weight in two layers: its gradient is the sum of both uses.
TEST(Autograd, LeafUsedTwiceMatchesFiniteDifferences) {
  const Tensor x = random_tensor(Shape{3, 4}, 18);
  const Tensor w = random_tensor(Shape{4, 4}, 19);
  const Tensor b = random_tensor(Shape{4}, 20);
  const Tensor labels = random_labels(3, 4, 21);
  EXPECT_TRUE(gradcheck(
      [&](const std::vector<Tensor>& in) {
        const Tensor h = ops::relu(ops::linear(in[0], in[1], in[2]));
        return ops::softmax_cross_entropy(ops::linear(h, in[1], in[2]), labels);
      },
      {x, w, b}));
}

// A diamond: h = relu(x) feeds both operands of one linear (y = h h^T), so two gradients meet
// at relu's node before it runs; the first must not be overwritten or aliased by the second.
TEST(Autograd, IntermediateUsedTwiceMatchesFiniteDifferences) {
  const Tensor x = random_tensor_away_from_zero(Shape{3, 3}, 22);
  const Tensor labels = random_labels(3, 3, 23);
  EXPECT_TRUE(gradcheck(
      [&](const std::vector<Tensor>& in) {
        const Tensor h = ops::relu(in[0]);
        return ops::softmax_cross_entropy(ops::linear(h, h), labels);
      },
      {x}));
}

// A diamond across two different ops: flatten(h) and h itself both reach the loss.
TEST(Autograd, DiamondThroughDifferentOpsMatchesFiniteDifferences) {
  const Tensor x = random_tensor_away_from_zero(Shape{2, 3}, 24);
  const Tensor w = random_tensor(Shape{3, 3}, 25);
  const Tensor labels = random_labels(2, 2, 26);  // the loss sees [2, 2] logits
  EXPECT_TRUE(gradcheck(
      [&](const std::vector<Tensor>& in) {
        const Tensor h = ops::relu(in[0]);
        const Tensor a = ops::linear(ops::flatten(h), in[1]);          // [2, 3]
        return ops::softmax_cross_entropy(ops::linear(a, h), labels);  // a h^T: [2, 2]
      },
      {x, w}));
}

// The gradient that reaches a leaf the first time must be a copy: accumulating a second
// backward into it must not change a tensor the graph still holds.
TEST(Autograd, LeafGradientDoesNotAliasGraphTensors) {
  const Tensor x = leaf(Tensor::from_vector(Shape{1, 2}, std::vector<double>{1, -1}));
  const Tensor y = ops::flatten(x);  // its backward returns a view of the incoming gradient
  const Tensor seed = Tensor::from_vector(Shape{1, 2}, std::vector<double>{5, 6});
  y.backward(seed);
  y.backward(seed);
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{10, 12}));
  EXPECT_EQ(seed.to_vector<double>(), (std::vector<double>{5, 6}));
}

}  // namespace
}  // namespace rethink
