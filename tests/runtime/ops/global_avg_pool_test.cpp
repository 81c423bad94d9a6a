#include "runtime/ops/global_avg_pool.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
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

// Batch 1, 1x1 images, non-square, the Inception's 7x7, odd channel counts.
const std::vector<Shape> kShapes = {Shape{1, 1, 1, 1}, Shape{3, 1, 1, 5}, Shape{2, 7, 7, 3},
                                    Shape{1, 3, 5, 7}, Shape{2, 4, 2, 6}};

std::vector<double> naive_mean(const std::vector<double>& x, const Shape& s) {
  std::vector<double> y;
  for (int64_t n = 0; n < s[0]; ++n) {
    for (int64_t c = 0; c < s[3]; ++c) {
      double sum = 0;
      for (int64_t h = 0; h < s[1]; ++h) {
        for (int64_t w = 0; w < s[2]; ++w) {
          sum += x[static_cast<size_t>(((n * s[1] + h) * s[2] + w) * s[3] + c)];
        }
      }
      y.push_back(sum / double(s[1] * s[2]));
    }
  }
  return y;
}

TEST(GlobalAvgPool, ForwardMatchesNaive) {
  for (const Shape& s : kShapes) {
    SCOPED_TRACE(s.to_string());
    const std::vector<double> xv = test::uniform_values<double>(s.numel(), 1);
    const std::vector<double> want = naive_mean(xv, s);

    const Tensor y64 = global_avg_pool(Tensor::from_vector(s, xv));
    ASSERT_EQ(y64.shape(), (Shape{s[0], s[3]}));
    const std::vector<double> got64 = y64.to_vector<double>();
    for (size_t i = 0; i < got64.size(); ++i) ASSERT_NEAR(got64[i], want[i], 1e-14) << i;

    const std::vector<float> xf(xv.begin(), xv.end());
    const Tensor y32 = global_avg_pool(Tensor::from_vector(s, xf));
    ASSERT_EQ(y32.dtype(), DType::kFloat32);
    const std::vector<float> got32 = y32.to_vector<float>();
    for (size_t i = 0; i < got32.size(); ++i) ASSERT_NEAR(got32[i], want[i], 1e-6) << i;
  }
}

TEST(GlobalAvgPool, BackwardMatchesFiniteDifferences) {
  uint64_t seed = 10;
  for (const Shape& s : kShapes) {
    SCOPED_TRACE(s.to_string());
    EXPECT_TRUE(
        gradcheck([](const std::vector<Tensor>& v) { return test::project(global_avg_pool(v[0])); },
                  {random_tensor(s, ++seed)}));
  }
}

TEST(GlobalAvgPool, RecordsNoGraphWithoutGradients) {
  EXPECT_EQ(global_avg_pool(Tensor::zeros(Shape{1, 2, 2, 3})).grad_fn(), nullptr);
  Tensor x = Tensor::zeros(Shape{1, 2, 2, 3});
  x.set_requires_grad(true);
  EXPECT_NE(global_avg_pool(x).grad_fn(), nullptr);
}

TEST(GlobalAvgPool, EmptyBatchGivesAnEmptyOutput) {
  EXPECT_EQ(global_avg_pool(Tensor::zeros(Shape{0, 7, 7, 3})).shape(), (Shape{0, 3}));
}

TEST(GlobalAvgPool, BadArgumentsThrowNamingTheProblem) {
  EXPECT_TRUE(throws_with<Error>(
      [] {
        global_avg_pool(Tensor::zeros(Shape{2, 336}));
      },
      {"global_avg_pool", "NHWC", "[2, 336]"}));
  EXPECT_TRUE(throws_with<Error>(
      [] {
        global_avg_pool(Tensor::zeros(Shape{2, 0, 7, 3}));
      },
      {"[2, 0, 7, 3]", "empty"}));
  EXPECT_TRUE(throws_with<Error>(
      [] {
        global_avg_pool(Tensor::zeros(Shape{1, 2, 2, 1}, DType::kInt32));
      },
      {"int32"}));
}

TEST(GlobalAvgPool, MatchesPyTorchFixtures) {
  const auto fx = test::Fixture::load("pool");
  int checked = 0;
  for (const std::string& name : fx.cases()) {
    if (fx.params(name).at("op").get<std::string>() != "global_avg_pool") continue;
    SCOPED_TRACE(name);
    Tensor x = fx.tensor(name, "x").clone();
    x.set_requires_grad(true);
    const Tensor y = global_avg_pool(x);
    EXPECT_TRUE(test::close_normwise(y, fx.tensor(name, "y"))) << "y";
    y.backward(fx.tensor(name, "dy"));
    EXPECT_TRUE(test::close_normwise(x.grad(), fx.tensor(name, "dx"))) << "dx";
    ++checked;
  }
  EXPECT_GE(checked, 4);
}

}  // namespace
}  // namespace rethink::ops
