#include "runtime/optim/sgd.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/error.h"

namespace rethink {
namespace {

// One weight (decayed) and one bias (not decayed), float64, with hand-picked values.
struct Model {
  Tensor weight = Tensor::from_vector(Shape{2, 2}, std::vector<double>{1.0, -2.0, 0.5, 3.0});
  Tensor bias = Tensor::from_vector(Shape{2}, std::vector<double>{0.25, -1.5});
  ParameterSlab slab{{{"weight", weight, true}, {"bias", bias, false}}};
  const std::vector<double> w0 = {1.0, -2.0, 0.5, 3.0, 0.25, -1.5};  // slab order

  // A constant gradient, written once into the slab's gradient buffer.
  const std::vector<double> g = {0.1, -0.2, 0.3, 0.05, -0.4, 0.6};
  Model() {
    for (size_t i = 0; i < g.size(); ++i) slab.grads().data<double>()[i] = g[i];
  }
  std::vector<double> values() const { return slab.values().to_vector<double>(); }
};

constexpr double kTol = 1e-14;

// v_k = g (1 - m^k) / (1 - m), w_k = w_0 - lr sum_{i=1..k} v_i.
TEST(Sgd, MomentumMatchesClosedFormOverManySteps) {
  Model model;
  const double lr = 0.1, m = 0.9;
  Sgd sgd(model.slab, {.momentum = m, .weight_decay = 0, .nesterov = false});
  const int steps = 7;
  double sum_of_factors = 0;  // sum_{i=1..k} (1 - m^i) / (1 - m)
  for (int k = 1; k <= steps; ++k) {
    sgd.step(lr);
    sum_of_factors += (1 - std::pow(m, k)) / (1 - m);
  }
  const double v_factor = (1 - std::pow(m, steps)) / (1 - m);
  const std::vector<double> w = model.values();
  const std::vector<double> v = sgd.momentum_buffer().to_vector<double>();
  for (size_t i = 0; i < w.size(); ++i) {
    EXPECT_NEAR(v[i], model.g[i] * v_factor, kTol) << i;
    EXPECT_NEAR(w[i], model.w0[i] - lr * model.g[i] * sum_of_factors, kTol) << i;
  }
  // The parameters themselves moved: they live in the slab.
  EXPECT_EQ(model.bias.to_vector<double>()[1], w[5]);
}

TEST(Sgd, ZeroMomentumIsPlainGradientDescent) {
  Model model;
  Sgd sgd(model.slab, {.momentum = 0, .weight_decay = 0, .nesterov = false});
  sgd.step(0.5);
  sgd.step(0.25);
  const std::vector<double> w = model.values();
  for (size_t i = 0; i < w.size(); ++i) EXPECT_NEAR(w[i], model.w0[i] - 0.75 * model.g[i], kTol);
}

// One step from v = 0: v = g + wd * w on the weight, v = g on the bias; w -= lr v.
TEST(Sgd, WeightDecayReachesWeightsButNotBiases) {
  Model model;
  const double lr = 0.1, wd = 0.01;
  Sgd sgd(model.slab, {.momentum = 0.9, .weight_decay = wd, .nesterov = false});
  ASSERT_EQ(model.slab.decayed_numel(), 4);
  sgd.step(lr);
  const std::vector<double> w = model.values();
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_NEAR(w[i], model.w0[i] - lr * (model.g[i] + wd * model.w0[i]), kTol) << i;
  }
  for (size_t i = 4; i < 6; ++i) EXPECT_NEAR(w[i], model.w0[i] - lr * model.g[i], kTol) << i;
}

// d = g + wd w; v = m v + d; w -= lr (d + m v), written out for two steps.
TEST(Sgd, NesterovMatchesTheUpdateByHandForTwoSteps) {
  Model model;
  const double lr = 0.1, m = 0.9, wd = 0.01;
  Sgd sgd(model.slab, {.momentum = m, .weight_decay = wd, .nesterov = true});
  sgd.step(lr);
  const std::vector<double> after_one = model.values();
  sgd.step(lr);
  const std::vector<double> after_two = model.values();
  for (size_t i = 0; i < model.w0.size(); ++i) {
    const double decay = i < 4 ? wd : 0.0;
    const double g = model.g[i];
    const double w0 = model.w0[i];
    const double d1 = g + decay * w0;
    const double v1 = d1;  // m * 0 + d1
    const double w1 = w0 - lr * (d1 + m * v1);
    const double d2 = g + decay * w1;
    const double v2 = m * v1 + d2;
    const double w2 = w1 - lr * (d2 + m * v2);
    EXPECT_NEAR(after_one[i], w1, kTol) << i;
    EXPECT_NEAR(after_two[i], w2, kTol) << i;
    EXPECT_NEAR(sgd.momentum_buffer().to_vector<double>()[i], v2, kTol) << i;
  }
}

TEST(Sgd, MomentumBufferStartsAtZeroShapedLikeTheSlab) {
  Model model;
  const Sgd sgd(model.slab, {});
  EXPECT_EQ(sgd.momentum_buffer().shape(), model.slab.values().shape());
  EXPECT_EQ(sgd.momentum_buffer().to_vector<double>(), std::vector<double>(6, 0.0));
}

TEST(Sgd, UpdatesFloat32Slabs) {
  Tensor w = Tensor::from_vector(Shape{2}, std::vector<float>{1, 2});
  ParameterSlab slab({{"w", w, true}});
  slab.grads().fill_(0.5);
  Sgd sgd(slab, {.momentum = 0, .weight_decay = 0, .nesterov = false});
  sgd.step(0.1);
  EXPECT_EQ(w.to_vector<float>(), (std::vector<float>{1 - 0.05f, 2 - 0.05f}));
}

TEST(Sgd, ZeroGradClearsTheSlabGradients) {
  Model model;
  Sgd sgd(model.slab, {});
  sgd.zero_grad();
  EXPECT_EQ(model.slab.grads().to_vector<double>(), std::vector<double>(6, 0.0));
}

TEST(Sgd, RejectsNegativeSettings) {
  Model model;
  EXPECT_THROW(Sgd(model.slab, {.momentum = -0.1}), Error);
  EXPECT_THROW(Sgd(model.slab, {.momentum = 0.9, .weight_decay = -1}), Error);
}

TEST(Sgd, RejectsAnEmptySlab) {
  ParameterSlab empty;
  EXPECT_THROW(Sgd(empty, {}), Error);
}

}  // namespace
}  // namespace rethink
