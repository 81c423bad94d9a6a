#include "runtime/ops/lrn.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "runtime/autograd.h"
#include "tests/support/data.h"
#include "tests/support/fixture.h"
#include "tests/support/gradcheck.h"
#include "tests/support/throws.h"

namespace rethink::ops {
namespace {

using test::gradcheck;
using test::random_tensor;
using test::throws_with;

// tf.nn.lrn from its definition, one pixel row of `channels` at a time, in double.
std::vector<double> naive_lrn(const std::vector<float>& x, int64_t channels, const LrnOptions& o) {
  std::vector<double> y(x.size());
  for (size_t row = 0; row < x.size() / static_cast<size_t>(channels); ++row) {
    const int64_t base = static_cast<int64_t>(row) * channels;
    for (int64_t c = 0; c < channels; ++c) {
      double sum = 0;
      for (int64_t k = std::max<int64_t>(0, c - o.depth_radius);
           k <= std::min(channels - 1, c + o.depth_radius); ++k) {
        sum += double(x[base + k]) * double(x[base + k]);
      }
      y[base + c] = double(x[base + c]) / std::pow(o.bias + o.alpha * sum, o.beta);
    }
  }
  return y;
}

const LrnOptions kAlexNet{4, 1.0, 0.001 / 9, 0.75};
const LrnOptions kTfDefault{};

// Shapes: NHWC with batch 1, 1x1 spatial, non-square, channel counts below the window and not a
// multiple of 4; [batch, features]; a single pixel. Options: AlexNet's on activations of ~30
// (where its alpha matters), TensorFlow's defaults, radius 0, a non-shortcut beta.
struct Case {
  Shape shape;
  LrnOptions options;
  double scale;
};
const std::vector<Case> kCases = {
    {Shape{2, 3, 4, 64}, kAlexNet, 30},
    {Shape{1, 1, 1, 3}, kAlexNet, 30},
    {Shape{2, 2, 3, 13}, kAlexNet, 3},
    {Shape{1, 2, 5, 7}, kTfDefault, 1},
    {Shape{3, 1, 1, 5}, kTfDefault, 1},
    {Shape{4, 9}, {0, 2.0, 0.5, 1.0}, 2},
    {Shape{2, 3, 2, 6}, {1, 0.5, 0.3, 0.6}, 1.5},
    {Shape{7}, {2, 1.0, 0.1, 0.75}, 3},
};

TEST(Lrn, ForwardMatchesNaiveFloat32) {
  for (const Case& k : kCases) {
    SCOPED_TRACE(::testing::Message() << k.shape.to_string() << " r " << k.options.depth_radius
                                      << " alpha " << k.options.alpha);
    const auto xv = test::uniform_values<float>(k.shape.numel(), 1, -k.scale, k.scale);
    const Tensor y = lrn(Tensor::from_vector(k.shape, xv), k.options);
    ASSERT_EQ(y.shape(), k.shape);
    ASSERT_EQ(y.dtype(), DType::kFloat32);
    const std::vector<double> want = naive_lrn(xv, k.shape[-1], k.options);
    const std::vector<float> got = y.to_vector<float>();
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_NEAR(got[i], want[i], 1e-5 * (1 + std::abs(want[i]))) << i;
    }
  }
}

// One row by hand: s = 1 + (the squares of the neighbours within 1) = {1+1+4, 1+1+4+9, 1+4+9}.
TEST(Lrn, ForwardSmallExampleByHand) {
  const Tensor x = Tensor::from_vector(Shape{1, 3}, std::vector<double>{1, 2, 3});
  const std::vector<double> beta1 = lrn(x, {1, 1.0, 1.0, 1.0}).to_vector<double>();
  EXPECT_DOUBLE_EQ(beta1[0], 1.0 / 6);
  EXPECT_DOUBLE_EQ(beta1[1], 2.0 / 15);
  EXPECT_DOUBLE_EQ(beta1[2], 3.0 / 14);
  const std::vector<double> half = lrn(x, {1, 1.0, 1.0, 0.5}).to_vector<double>();
  EXPECT_DOUBLE_EQ(half[1], 2.0 / std::sqrt(15.0));
  // alpha scales the plain sum (TensorFlow), not the sum over the window size (PyTorch).
  const std::vector<double> alpha = lrn(x, {1, 1.0, 0.5, 1.0}).to_vector<double>();
  EXPECT_DOUBLE_EQ(alpha[1], 2.0 / (1 + 0.5 * 14));
}

TEST(Lrn, BackwardMatchesFiniteDifferences) {
  for (const Case& k : kCases) {
    SCOPED_TRACE(::testing::Message() << k.shape.to_string() << " r " << k.options.depth_radius
                                      << " alpha " << k.options.alpha);
    const LrnOptions o = k.options;
    EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& v) { return test::project(lrn(v[0], o)); },
                          {random_tensor(k.shape, 2, -k.scale, k.scale)}));
  }
}

// The norm buffer the backward needs is kept only when a backward can happen.
TEST(Lrn, RecordsANodeOnlyWhenAGradientIsNeeded) {
  Tensor x = random_tensor(Shape{2, 5}, 3);
  EXPECT_FALSE(lrn(x).grad_fn());
  x.set_requires_grad(true);
  const Tensor y = lrn(x);
  ASSERT_TRUE(y.grad_fn());
  EXPECT_EQ(y.grad_fn()->name(), "lrn");
  {
    NoGradGuard no_grad;
    const Tensor y_no_grad = lrn(x);
    EXPECT_FALSE(y_no_grad.grad_fn());
    EXPECT_EQ(y_no_grad.to_vector<double>(), y.to_vector<double>());
  }
}

TEST(Lrn, BadArgumentsThrowNamingTheValue) {
  const Tensor x = Tensor::zeros(Shape{2, 5});
  EXPECT_TRUE(throws_with<Error>([&] { lrn(x, {-1, 1.0, 1.0, 0.5}); }, {"depth_radius", "-1"}));
  EXPECT_TRUE(throws_with<Error>([&] { lrn(x, {2, 0.0, 1.0, 0.5}); }, {"bias", "0"}));
  EXPECT_TRUE(throws_with<Error>([&] { lrn(x, {2, 1.0, -0.5, 0.5}); }, {"alpha", "-0.5"}));
  EXPECT_TRUE(throws_with<Error>(
      [&] {
        lrn(x, {2, 1.0, 1.0, std::numeric_limits<double>::quiet_NaN()});
      },
      {"beta", "nan"}));
  EXPECT_TRUE(throws_with<Error>([&] { lrn(Tensor::zeros(Shape{})); }, {"channel"}));
  EXPECT_TRUE(throws_with<Error>(
      [&] {
        lrn(Tensor::zeros(Shape{2, 5}, DType::kInt32));
      },
      {"float32 or float64", "int32"}));
}

// PyTorch's reference (tools/fixtures/lrn.py): TensorFlow's formula in float64, cross-checked
// there against F.local_response_norm with alpha * (2r + 1).
TEST(Lrn, MatchesPyTorchFixture) {
  const auto fx = test::Fixture::load("lrn");
  ASSERT_FALSE(fx.cases().empty());
  for (const std::string& c : fx.cases()) {
    SCOPED_TRACE(c);
    const nlohmann::json& p = fx.params(c);
    const LrnOptions o{p.at("depth_radius").get<int64_t>(), p.at("bias").get<double>(),
                       p.at("alpha").get<double>(), p.at("beta").get<double>()};
    Tensor x = fx.tensor(c, "x").clone();
    ASSERT_EQ(x.dtype(), DType::kFloat32);
    x.set_requires_grad(true);
    const Tensor y = lrn(x, o);
    EXPECT_TRUE(test::close_normwise(y, fx.tensor(c, "y")));
    y.backward(fx.tensor(c, "dy"));
    EXPECT_TRUE(test::close_normwise(x.grad(), fx.tensor(c, "dx")));
  }
}

}  // namespace
}  // namespace rethink::ops
