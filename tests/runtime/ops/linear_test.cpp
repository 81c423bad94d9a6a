#include "runtime/ops/linear.h"

#include <gtest/gtest.h>

#include <tuple>
#include <vector>

#include "runtime/autograd.h"
#include "runtime/ops/softmax_cross_entropy.h"
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

// (batch, in, out): batch 1, one input feature, one output, non-square.
const std::vector<std::tuple<int64_t, int64_t, int64_t>> kShapes = {
    {1, 1, 1}, {1, 1, 2}, {3, 5, 7}, {4, 2, 9}, {2, 7, 1}, {5, 3, 3}};

TEST(Linear, ForwardMatchesNaiveFloat32) {
  for (const auto& [batch, in, out] : kShapes) {
    for (const bool with_bias : {false, true}) {
      SCOPED_TRACE(::testing::Message() << batch << "x" << in << " -> " << out
                                        << (with_bias ? " with bias" : " without bias"));
      const auto xv = test::uniform_values<float>(batch * in, 1);
      const auto wv = test::uniform_values<float>(out * in, 2);
      const auto bv = test::uniform_values<float>(out, 3);
      const Tensor x = Tensor::from_vector(Shape{batch, in}, xv);
      const Tensor w = Tensor::from_vector(Shape{out, in}, wv);
      const Tensor b = with_bias ? Tensor::from_vector(Shape{out}, bv) : Tensor();
      const Tensor y = linear(x, w, b);
      ASSERT_EQ(y.shape(), (Shape{batch, out}));
      ASSERT_EQ(y.dtype(), DType::kFloat32);
      const std::vector<double> want =
          test::naive_linear(xv, wv, with_bias ? &bv : nullptr, batch, in, out);
      const std::vector<float> got = y.to_vector<float>();
      for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-5) << i;
    }
  }
}

TEST(Linear, ForwardSmallExampleByHand) {
  const Tensor x = Tensor::from_vector(Shape{1, 2}, std::vector<double>{1, 2});
  const Tensor w = Tensor::from_vector(Shape{3, 2}, std::vector<double>{1, 0, 0, 1, 1, 1});
  const Tensor b = Tensor::from_vector(Shape{3}, std::vector<double>{10, 20, 30});
  EXPECT_EQ(linear(x, w, b).to_vector<double>(), (std::vector<double>{11, 22, 33}));
}

TEST(Linear, BackwardMatchesFiniteDifferences) {
  for (const auto& [batch, in, out] : kShapes) {
    SCOPED_TRACE(::testing::Message() << batch << "x" << in << " -> " << out);
    EXPECT_TRUE(gradcheck(
        [](const std::vector<Tensor>& v) { return test::project(linear(v[0], v[1], v[2])); },
        {random_tensor(Shape{batch, in}, 4), random_tensor(Shape{out, in}, 5),
         random_tensor(Shape{out}, 6)}));
    EXPECT_TRUE(
        gradcheck([](const std::vector<Tensor>& v) { return test::project(linear(v[0], v[1])); },
                  {random_tensor(Shape{batch, in}, 7), random_tensor(Shape{out, in}, 8)}));
  }
}

TEST(Linear, BackwardThroughCrossEntropyMatchesFiniteDifferences) {
  for (const int64_t classes : {2, 7}) {
    const Tensor labels = random_labels(3, classes, 9);
    EXPECT_TRUE(gradcheck(
        [&](const std::vector<Tensor>& v) {
          return softmax_cross_entropy(linear(v[0], v[1], v[2]), labels);
        },
        {random_tensor(Shape{3, 4}, 10), random_tensor(Shape{classes, 4}, 11),
         random_tensor(Shape{classes}, 12)}))
        << classes << " classes";
  }
}

// An empty batch contributes nothing: the weight gradient is exactly zero, never leftovers
// of the uninitialized buffer it is computed into.
TEST(Linear, EmptyBatchGivesZeroGradients) {
  Tensor w = random_tensor(Shape{4, 3}, 13);
  Tensor b = random_tensor(Shape{4}, 14);
  w.set_requires_grad(true);
  b.set_requires_grad(true);
  const Tensor y = linear(Tensor::zeros(Shape{0, 3}, DType::kFloat64), w, b);
  EXPECT_EQ(y.shape(), (Shape{0, 4}));
  softmax_cross_entropy(y, Tensor::zeros(Shape{0}, DType::kInt32)).backward();
  EXPECT_EQ(w.grad().to_vector<double>(), std::vector<double>(12, 0.0));
  EXPECT_EQ(b.grad().to_vector<double>(), std::vector<double>(4, 0.0));
}

TEST(Linear, MismatchedFeaturesNameBothShapes) {
  const Tensor x = Tensor::zeros(Shape{2, 3});
  const Tensor w = Tensor::zeros(Shape{4, 5});
  EXPECT_TRUE(throws_with<Error>([&] { linear(x, w); }, {"[2, 3]", "[4, 5]"}));
}

TEST(Linear, BiasOfWrongShapeThrows) {
  const Tensor x = Tensor::zeros(Shape{2, 3});
  const Tensor w = Tensor::zeros(Shape{4, 3});
  EXPECT_TRUE(throws_with<Error>([&] { linear(x, w, Tensor::zeros(Shape{3})); }, {"[4]", "[3]"}));
}

TEST(Linear, WrongRankOrDtypeThrows) {
  EXPECT_THROW(linear(Tensor::zeros(Shape{2, 3, 1}), Tensor::zeros(Shape{4, 3})), Error);
  EXPECT_THROW(linear(Tensor::zeros(Shape{2, 3}), Tensor::zeros(Shape{3})), Error);
  EXPECT_THROW(linear(Tensor::zeros(Shape{2, 3}), Tensor::zeros(Shape{4, 3}, DType::kFloat64)),
               Error);
  EXPECT_THROW(
      linear(Tensor::zeros(Shape{2, 3}, DType::kInt32), Tensor::zeros(Shape{4, 3}, DType::kInt32)),
      Error);
}

}  // namespace
}  // namespace rethink::ops
