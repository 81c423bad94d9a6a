#include "runtime/ops/batch_norm.h"

#include <gtest/gtest.h>

#include <cmath>
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

// NHWC 4-D (batch 1 with spatial > 1, 1x1 spatial, non-square, C = 1, 3, 5, 7) and [N, C].
const std::vector<Shape> kShapes = {Shape{2, 3, 4, 5}, Shape{1, 3, 2, 7}, Shape{4, 1, 1, 3},
                                    Shape{2, 2, 3, 1}, Shape{6, 5},       Shape{2, 3}};

struct Affine {
  bool gamma;
  bool beta;
  const char* name;
};
const std::vector<Affine> kAffine = {{false, false, "none"},
                                     {false, true, "beta"},
                                     {true, true, "gamma+beta"},
                                     {true, false, "gamma"}};

// Per-channel mean and biased variance over every element but the last dimension.
void naive_stats(const std::vector<double>& x, int64_t channels, std::vector<double>* mean,
                 std::vector<double>* var) {
  const int64_t rows = static_cast<int64_t>(x.size()) / channels;
  mean->assign(channels, 0);
  var->assign(channels, 0);
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t r = 0; r < rows; ++r) (*mean)[c] += x[r * channels + c];
    (*mean)[c] /= double(rows);
    for (int64_t r = 0; r < rows; ++r) {
      const double d = x[r * channels + c] - (*mean)[c];
      (*var)[c] += d * d;
    }
    (*var)[c] /= double(rows);
  }
}

std::vector<double> naive_normalize(const std::vector<double>& x, const std::vector<double>& mean,
                                    const std::vector<double>& var, const std::vector<double>* g,
                                    const std::vector<double>* b, double eps) {
  const size_t channels = mean.size();
  std::vector<double> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const size_t c = i % channels;
    y[i] = (x[i] - mean[c]) / std::sqrt(var[c] + eps) * (g ? (*g)[c] : 1.0) + (b ? (*b)[c] : 0.0);
  }
  return y;
}

std::vector<double> as_double(const Tensor& t) {
  if (t.dtype() == DType::kFloat64) return t.to_vector<double>();
  const auto v = t.to_vector<float>();
  return std::vector<double>(v.begin(), v.end());
}

void expect_near_all(const Tensor& got, const std::vector<double>& want, double tol,
                     const std::string& what) {
  const std::vector<double> g = as_double(got);
  ASSERT_EQ(g.size(), want.size()) << what;
  for (size_t i = 0; i < g.size(); ++i) {
    ASSERT_NEAR(g[i], want[i], tol * (1 + std::abs(want[i]))) << what << " element " << i;
  }
}

TEST(BatchNorm, TrainingForwardMatchesNaiveFloat32) {
  for (const Shape& shape : kShapes) {
    for (const Affine& a : kAffine) {
      SCOPED_TRACE(::testing::Message() << shape.to_string() << " " << a.name);
      const int64_t channels = shape[-1];
      const auto xv = test::uniform_values<float>(shape.numel(), 1, -1, 3);
      const auto gv = test::uniform_values<float>(channels, 2, 0.5, 1.5);
      const auto bv = test::uniform_values<float>(channels, 3);
      BatchNormStatistics stats(channels);
      const Tensor y = batch_norm(Tensor::from_vector(shape, xv),
                                  a.gamma ? Tensor::from_vector(Shape{channels}, gv) : Tensor(),
                                  a.beta ? Tensor::from_vector(Shape{channels}, bv) : Tensor(),
                                  stats, /*training=*/true);
      ASSERT_EQ(y.shape(), shape);
      ASSERT_EQ(y.dtype(), DType::kFloat32);
      const std::vector<double> x(xv.begin(), xv.end()), g(gv.begin(), gv.end()),
          b(bv.begin(), bv.end());
      std::vector<double> mean, var;
      naive_stats(x, channels, &mean, &var);
      expect_near_all(
          y, naive_normalize(x, mean, var, a.gamma ? &g : nullptr, a.beta ? &b : nullptr, 1e-3),
          2e-5, "y");
      EXPECT_EQ(stats.updates(), 1);
    }
  }
}

// The moving averages follow TensorFlow's formula, with the unbiased batch variance, and the
// corrected statistics divide by 1 - decay^t.
TEST(BatchNorm, MovingStatisticsFollowTheCorrectedTensorFlowFormula) {
  const Shape shape{2, 3, 2, 4};
  const int64_t channels = 4, rows = 12;
  const double decay = 0.9;
  BatchNormStatistics stats(channels, DType::kFloat64);
  std::vector<double> acc_mean(channels, 0), acc_var(channels, 0);
  for (int step = 1; step <= 4; ++step) {
    const Tensor x = random_tensor(shape, 10 + step, -step, 2 * step);
    batch_norm(x, Tensor(), Tensor(), stats, true, {.epsilon = 1e-3, .decay = decay});
    std::vector<double> mean, var;
    naive_stats(x.to_vector<double>(), channels, &mean, &var);
    for (int64_t c = 0; c < channels; ++c) {
      acc_mean[c] = decay * acc_mean[c] + (1 - decay) * mean[c];
      acc_var[c] = decay * acc_var[c] + (1 - decay) * var[c] * rows / (rows - 1);
    }
    ASSERT_EQ(stats.updates(), step);
    EXPECT_NEAR(stats.decay_product(), std::pow(decay, step), 1e-15);
    expect_near_all(stats.mean_accumulator(), acc_mean, 1e-12, "mean accumulator");
    expect_near_all(stats.variance_accumulator(), acc_var, 1e-12, "variance accumulator");
    std::vector<double> want_mean(channels), want_var(channels);
    for (int64_t c = 0; c < channels; ++c) {
      want_mean[c] = acc_mean[c] / (1 - std::pow(decay, step));
      want_var[c] = acc_var[c] / (1 - std::pow(decay, step));
    }
    expect_near_all(stats.corrected_mean(), want_mean, 1e-12, "corrected mean");
    expect_near_all(stats.corrected_variance(), want_var, 1e-12, "corrected variance");
  }
}

// After one update the correction undoes the zero start exactly: the batch's own statistics.
TEST(BatchNorm, OneUpdateGivesTheBatchStatisticsWithTheDefaultDecay) {
  const Tensor x = random_tensor(Shape{3, 2, 2, 5}, 20, 1, 4);
  BatchNormStatistics stats(5, DType::kFloat64);
  batch_norm(x, Tensor(), Tensor(), stats, true);
  std::vector<double> mean, var;
  naive_stats(x.to_vector<double>(), 5, &mean, &var);
  for (double& v : var) v *= 12.0 / 11.0;
  expect_near_all(stats.corrected_mean(), mean, 1e-12, "corrected mean");
  expect_near_all(stats.corrected_variance(), var, 1e-12, "corrected variance");
}

TEST(BatchNorm, FreshStatisticsAreTheIdentityInEvalMode) {
  BatchNormStatistics stats(3);
  EXPECT_EQ(stats.updates(), 0);
  EXPECT_EQ(stats.corrected_mean().to_vector<float>(), std::vector<float>(3, 0.0f));
  EXPECT_EQ(stats.corrected_variance().to_vector<float>(), std::vector<float>(3, 1.0f));
  EXPECT_EQ(stats.mean_accumulator().to_vector<float>(), std::vector<float>(3, 0.0f));
  EXPECT_EQ(stats.variance_accumulator().to_vector<float>(), std::vector<float>(3, 0.0f));
  const auto xv = test::uniform_values<float>(12, 21);
  const Tensor y = batch_norm(Tensor::from_vector(Shape{4, 3}, xv), Tensor(), Tensor(), stats,
                              /*training=*/false);
  std::vector<double> want(xv.begin(), xv.end());
  for (double& v : want) v /= std::sqrt(1 + 1e-3);
  expect_near_all(y, want, 1e-6, "y");
  EXPECT_EQ(stats.updates(), 0);
}

TEST(BatchNorm, EvalForwardUsesTheCorrectedStatisticsAndLeavesThemAlone) {
  for (const Shape& shape : kShapes) {
    for (const Affine& a : kAffine) {
      SCOPED_TRACE(::testing::Message() << shape.to_string() << " " << a.name);
      const int64_t channels = shape[-1];
      BatchNormStatistics stats(channels, DType::kFloat64);
      for (int step = 0; step < 3; ++step) {
        batch_norm(random_tensor(shape, 30 + step, -2, 5), Tensor(), Tensor(), stats, true);
      }
      const std::vector<double> mean = stats.corrected_mean().to_vector<double>();
      const std::vector<double> var = stats.corrected_variance().to_vector<double>();
      const Tensor x = random_tensor(shape, 40, -1, 4);
      const Tensor g = random_tensor(Shape{channels}, 41, 0.5, 1.5);
      const Tensor b = random_tensor(Shape{channels}, 42);
      const Tensor y = batch_norm(x, a.gamma ? g : Tensor(), a.beta ? b : Tensor(), stats, false,
                                  {.epsilon = 1e-2});
      const std::vector<double> gv = g.to_vector<double>(), bv = b.to_vector<double>();
      expect_near_all(y,
                      naive_normalize(x.to_vector<double>(), mean, var, a.gamma ? &gv : nullptr,
                                      a.beta ? &bv : nullptr, 1e-2),
                      1e-12, "y");
      EXPECT_EQ(stats.updates(), 3);
      EXPECT_EQ(stats.corrected_mean().to_vector<double>(), mean);
    }
  }
}

TEST(BatchNorm, TrainingBackwardMatchesFiniteDifferences) {
  for (const Shape& shape : kShapes) {
    for (const Affine& a : kAffine) {
      SCOPED_TRACE(::testing::Message() << shape.to_string() << " " << a.name);
      const int64_t channels = shape[-1];
      BatchNormStatistics stats(channels, DType::kFloat64);
      std::vector<Tensor> inputs = {random_tensor(shape, 50, -1, 3)};
      if (a.gamma) inputs.push_back(random_tensor(Shape{channels}, 51, 0.5, 1.5));
      if (a.beta) inputs.push_back(random_tensor(Shape{channels}, 52));
      EXPECT_TRUE(gradcheck(
          [&](const std::vector<Tensor>& v) {
            const Tensor g = a.gamma ? v[1] : Tensor();
            const Tensor b = a.beta ? v[a.gamma ? 2 : 1] : Tensor();
            return test::project(batch_norm(v[0], g, b, stats, true));
          },
          inputs));
    }
  }
}

TEST(BatchNorm, EvalBackwardMatchesFiniteDifferences) {
  for (const Shape& shape : kShapes) {
    for (const Affine& a : kAffine) {
      SCOPED_TRACE(::testing::Message() << shape.to_string() << " " << a.name);
      const int64_t channels = shape[-1];
      BatchNormStatistics stats(channels, DType::kFloat64);
      batch_norm(random_tensor(shape, 60, -1, 3), Tensor(), Tensor(), stats, true);
      std::vector<Tensor> inputs = {random_tensor(shape, 61, -1, 3)};
      if (a.gamma) inputs.push_back(random_tensor(Shape{channels}, 62, 0.5, 1.5));
      if (a.beta) inputs.push_back(random_tensor(Shape{channels}, 63));
      EXPECT_TRUE(gradcheck(
          [&](const std::vector<Tensor>& v) {
            const Tensor g = a.gamma ? v[1] : Tensor();
            const Tensor b = a.beta ? v[a.gamma ? 2 : 1] : Tensor();
            return test::project(batch_norm(v[0], g, b, stats, false));
          },
          inputs));
    }
  }
}

// The backward keeps the statistics the forward used: a training step between an eval forward
// and its backward must not change the eval gradient.
TEST(BatchNorm, EvalBackwardUsesTheStatisticsOfItsForward) {
  const Shape shape{3, 4};
  BatchNormStatistics stats(4, DType::kFloat64);
  batch_norm(random_tensor(shape, 70, 0, 5), Tensor(), Tensor(), stats, true);
  const auto run = [&](bool interleave) {
    Tensor x = random_tensor(shape, 71);
    x.set_requires_grad(true);
    const Tensor y = batch_norm(x, Tensor(), Tensor(), stats, false);
    if (interleave) batch_norm(random_tensor(shape, 72, 10, 20), Tensor(), Tensor(), stats, true);
    test::project(y).backward();
    return x.grad().to_vector<double>();
  };
  const std::vector<double> plain = run(false);
  EXPECT_EQ(run(true), plain);
}

// Parameter gradients land in the leaves' existing gradient buffers, added to what is there.
TEST(BatchNorm, ParameterGradientsAddToExistingGradients) {
  const Shape shape{2, 2, 2, 3};
  const Tensor x = random_tensor(shape, 80);
  Tensor g = random_tensor(Shape{3}, 81, 0.5, 1.5);
  Tensor b = random_tensor(Shape{3}, 82);
  g.set_requires_grad(true);
  b.set_requires_grad(true);
  BatchNormStatistics stats(3, DType::kFloat64);
  test::project(batch_norm(x, g, b, stats, true)).backward();
  const std::vector<double> dg = g.grad().to_vector<double>(), db = b.grad().to_vector<double>();
  const Tensor g_buffer = g.grad(), b_buffer = b.grad();
  test::project(batch_norm(x, g, b, stats, true)).backward();
  EXPECT_TRUE(g.grad().shares_memory_with(g_buffer));
  expect_near_all(g.grad(), {2 * dg[0], 2 * dg[1], 2 * dg[2]}, 1e-12, "dgamma");
  expect_near_all(b.grad(), {2 * db[0], 2 * db[1], 2 * db[2]}, 1e-12, "dbeta");
}

TEST(BatchNorm, NoGradientRecordedForPlainInputs) {
  BatchNormStatistics stats(3);
  const Tensor y = batch_norm(Tensor::zeros(Shape{4, 3}), Tensor(), Tensor(), stats, true);
  EXPECT_EQ(y.grad_fn(), nullptr);
}

TEST(BatchNorm, RestoreAndResetPutTheStateBack) {
  BatchNormStatistics a(3, DType::kFloat64), b(3, DType::kFloat64);
  for (int step = 0; step < 3; ++step) {
    batch_norm(random_tensor(Shape{5, 3}, 90 + step), Tensor(), Tensor(), a, true);
  }
  b.restore(a.mean_accumulator(), a.variance_accumulator(), a.updates(), a.decay_product());
  EXPECT_EQ(b.corrected_mean().to_vector<double>(), a.corrected_mean().to_vector<double>());
  EXPECT_EQ(b.corrected_variance().to_vector<double>(), a.corrected_variance().to_vector<double>());
  const Tensor x = random_tensor(Shape{5, 3}, 95);
  batch_norm(x, Tensor(), Tensor(), a, true);
  batch_norm(x, Tensor(), Tensor(), b, true);
  EXPECT_EQ(b.mean_accumulator().to_vector<double>(), a.mean_accumulator().to_vector<double>());
  EXPECT_EQ(b.updates(), 4);
  b.reset();
  EXPECT_EQ(b.updates(), 0);
  EXPECT_EQ(b.corrected_mean().to_vector<double>(), std::vector<double>(3, 0.0));
  EXPECT_EQ(b.corrected_variance().to_vector<double>(), std::vector<double>(3, 1.0));
  EXPECT_TRUE(
      throws_with<Error>([&] { b.restore(a.mean_accumulator(), a.variance_accumulator(), 0, 0.5); },
                         {"0 updates", "0.5"}));
}

TEST(BatchNorm, ArgumentErrorsNameTheShapesAndTheFix) {
  BatchNormStatistics stats(3);
  const Tensor x = Tensor::zeros(Shape{2, 2, 2, 3});
  EXPECT_TRUE(throws_with<Error>(
      [&] {
        batch_norm(Tensor::zeros(Shape{2, 2, 3}), Tensor(), Tensor(), stats, true);
      },
      {"[2, 2, 3]", "NHWC"}));
  EXPECT_TRUE(throws_with<Error>(
      [&] {
        batch_norm(Tensor::zeros(Shape{2, 3, 2, 2}), Tensor(), Tensor(), stats, true);
      },
      {"[2, 3, 2, 2]", "2 channels", "hold 3"}));
  EXPECT_TRUE(
      throws_with<Error>([&] { batch_norm(x, Tensor::zeros(Shape{4}), Tensor(), stats, true); },
                         {"gamma", "[3]", "[4]"}));
  EXPECT_TRUE(throws_with<Error>(
      [&] {
        batch_norm(x, Tensor(), Tensor::zeros(Shape{3, 1}), stats, true);
      },
      {"beta", "[3, 1]"}));
  EXPECT_TRUE(throws_with<Error>(
      [&] { batch_norm(x, Tensor(), Tensor::zeros(Shape{3}, DType::kFloat64), stats, true); },
      {"beta", "dtype"}));
  EXPECT_TRUE(throws_with<Error>(
      [&] {
        batch_norm(Tensor::zeros(Shape{2, 3}, DType::kFloat64), Tensor(), Tensor(), stats, true);
      },
      {"float64", "float32"}));
  EXPECT_TRUE(throws_with<Error>(
      [&] {
        batch_norm(Tensor::zeros(Shape{1, 3}), Tensor(), Tensor(), stats, true);
      },
      {"[1, 3]", "at least 2 values per channel"}));
  EXPECT_TRUE(throws_with<Error>(
      [&] {
        batch_norm(Tensor::zeros(Shape{1, 1, 1, 3}), Tensor(), Tensor(), stats, true);
      },
      {"[1, 1, 1, 3]", "eval mode"}));
  EXPECT_TRUE(throws_with<Error>(
      [&] { batch_norm(x, Tensor(), Tensor(), stats, true, {.epsilon = 0}); }, {"epsilon", "0"}));
  EXPECT_TRUE(throws_with<Error>(
      [&] { batch_norm(x, Tensor(), Tensor(), stats, true, {.decay = 1}); }, {"decay", "[0, 1)"}));
  EXPECT_THROW(BatchNormStatistics(0), Error);
  EXPECT_THROW(BatchNormStatistics(3, DType::kInt32), Error);
  // None of the refused calls touched the statistics.
  EXPECT_EQ(stats.updates(), 0);
  // One value per channel is fine in eval mode.
  EXPECT_EQ(batch_norm(Tensor::zeros(Shape{1, 3}), Tensor(), Tensor(), stats, false).shape(),
            (Shape{1, 3}));
}

// PyTorch's F.batch_norm (NCHW, float64) over three training steps and an eval step with the
// corrected moving statistics: tools/fixtures/batch_norm.py.
TEST(BatchNorm, MatchesPyTorchFixture) {
  const auto fx = test::Fixture::load("batch_norm");
  ASSERT_FALSE(fx.cases().empty());
  for (const std::string& c : fx.cases()) {
    SCOPED_TRACE(c);
    const auto& p = fx.params(c);
    const BatchNormOptions options{p.at("epsilon").get<double>(), p.at("decay").get<double>()};
    const bool has_gamma = p.at("gamma").get<bool>(), has_beta = p.at("beta").get<bool>();
    Tensor gamma = has_gamma ? fx.tensor(c, "gamma").clone() : Tensor();
    Tensor beta = has_beta ? fx.tensor(c, "beta").clone() : Tensor();
    const int64_t channels = fx.tensor(c, "x1").size(-1);
    BatchNormStatistics stats(channels);

    const auto step = [&](const std::string& suffix, bool training) {
      Tensor x = fx.tensor(c, "x" + suffix).clone();
      x.set_requires_grad(true);
      if (has_gamma) {
        gamma.set_grad(Tensor());
        gamma.set_requires_grad(true);
      }
      if (has_beta) {
        beta.set_grad(Tensor());
        beta.set_requires_grad(true);
      }
      const Tensor y = batch_norm(x, gamma, beta, stats, training, options);
      EXPECT_TRUE(test::close_normwise(y, fx.tensor(c, "y" + suffix))) << "y" << suffix;
      y.backward(fx.tensor(c, "dy" + suffix));
      EXPECT_TRUE(test::close_normwise(x.grad(), fx.tensor(c, "dx" + suffix))) << "dx" << suffix;
      if (has_gamma) {
        EXPECT_TRUE(test::close_normwise(gamma.grad(), fx.tensor(c, "dgamma" + suffix)))
            << "dgamma" << suffix;
      }
      if (has_beta) {
        EXPECT_TRUE(test::close_normwise(beta.grad(), fx.tensor(c, "dbeta" + suffix)))
            << "dbeta" << suffix;
      }
    };
    const int steps = p.at("steps").get<int>();
    for (int s = 1; s <= steps; ++s) step(std::to_string(s), true);
    EXPECT_EQ(stats.updates(), steps);
    EXPECT_TRUE(test::close_normwise(stats.corrected_mean(), fx.tensor(c, "running_mean")));
    EXPECT_TRUE(test::close_normwise(stats.corrected_variance(), fx.tensor(c, "running_var")));
    step("_eval", false);
  }
}

}  // namespace
}  // namespace rethink::ops
