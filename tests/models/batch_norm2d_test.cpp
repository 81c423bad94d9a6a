#include "models/layers/batch_norm2d.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <vector>

#include "models/layers/conv2d.h"
#include "models/layers/relu.h"
#include "tests/models/helpers.h"
#include "tests/support/throws.h"

namespace rethink {
namespace {

using test::as_doubles;
using test::float_tensor;

std::map<std::string, Tensor> buffer_map(const Module& m, bool exported_only) {
  std::map<std::string, Tensor> out;
  for (const NamedBuffer& b : m.buffers()) {
    if (!exported_only || b.kind == BufferKind::kExported) out.emplace(b.name, b.tensor.clone());
  }
  return out;
}

// Per-channel batch mean and biased variance of an NHWC batch, in double.
void batch_moments(const std::vector<double>& x, int64_t channels, std::vector<double>& mean,
                   std::vector<double>& var) {
  const size_t rows = x.size() / static_cast<size_t>(channels);
  mean.assign(static_cast<size_t>(channels), 0);
  var.assign(static_cast<size_t>(channels), 0);
  for (size_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < channels; ++c) mean[c] += x[r * channels + c] / double(rows);
  }
  for (size_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < channels; ++c) {
      var[c] += (x[r * channels + c] - mean[c]) * (x[r * channels + c] - mean[c]) / double(rows);
    }
  }
}

TEST(BatchNorm2dLayerTest, AffineChoicesOwnPyTorchNamedParametersThatNeverDecay) {
  BatchNorm2d slim(96);  // TF-slim: beta only
  auto params = slim.parameters();
  ASSERT_EQ(params.size(), 1u);
  EXPECT_EQ(params[0].name, "bias");
  EXPECT_EQ(params[0].tensor.shape(), (Shape{96}));
  EXPECT_FALSE(params[0].decay);
  EXPECT_FALSE(slim.gamma().defined());
  EXPECT_EQ(slim.options().epsilon, 1e-3);
  EXPECT_EQ(slim.options().decay, 0.999);

  BatchNorm2d full(5, BatchNormAffine::kGammaBeta);
  params = full.parameters();
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params[0].name, "weight");
  EXPECT_EQ(params[1].name, "bias");
  for (const NamedParameter& p : params) EXPECT_FALSE(p.decay) << p.name;
  EXPECT_EQ(BatchNorm2d(5, BatchNormAffine::kNone).parameter_count(), 0);

  // The paper's first conv module: 3x3 conv without bias, then beta-only BN: 2,688.
  Sequential module;
  module.add(std::make_shared<Conv2d>(3, 96, 3, 1, kernels::PaddingMode::kSame, false))
      .add(std::make_shared<BatchNorm2d>(96))
      .add(std::make_shared<ReLU>());
  EXPECT_EQ(module.parameter_count(), 2'688);
}

TEST(BatchNorm2dLayerTest, InitializeSetsGammaOneBetaZeroAndForgetsTheStatistics) {
  BatchNorm2d bn(3, BatchNormAffine::kGammaBeta);
  bn.gamma().fill_(2.0);
  bn.beta().fill_(2.0);
  bn(float_tensor(Shape{4, 3}, 1));
  ASSERT_EQ(bn.statistics().updates(), 1);
  bn.initialize(0);
  for (float g : bn.gamma().to_vector<float>()) EXPECT_EQ(g, 1.0f);
  for (float b : bn.beta().to_vector<float>()) EXPECT_EQ(b, 0.0f);
  EXPECT_EQ(bn.statistics().updates(), 0);
  for (float m : bn.statistics().corrected_mean().to_vector<float>()) EXPECT_EQ(m, 0.0f);
}

TEST(BatchNorm2dLayerTest, TrainingNormalizesByTheBatchAndMovesTheStatisticsEvalDoesNeither) {
  const int64_t c = 3;
  BatchNorm2d bn(c, BatchNormAffine::kGammaBeta);
  bn.initialize(0);
  bn.gamma().copy_(Tensor::from_vector(Shape{c}, std::vector<float>{1.5f, 0.5f, 2.0f}));
  bn.beta().copy_(Tensor::from_vector(Shape{c}, std::vector<float>{0.1f, -0.2f, 0.3f}));
  const Tensor x = float_tensor(Shape{2, 3, 2, c}, 7, -2, 3);
  const std::vector<double> xv = as_doubles(x);
  std::vector<double> mean, var;
  batch_moments(xv, c, mean, var);
  const std::vector<double> gamma = as_doubles(bn.gamma()), beta = as_doubles(bn.beta());

  const Tensor y = bn(x);  // training by default
  std::vector<double> expected(xv.size());
  for (size_t i = 0; i < xv.size(); ++i) {
    const size_t k = i % c;
    expected[i] = (xv[i] - mean[k]) / std::sqrt(var[k] + 1e-3) * gamma[k] + beta[k];
  }
  EXPECT_TRUE(test::all_close(as_doubles(y), expected, 1e-5, 1e-4));

  // One update, bias-corrected: the running stats are this batch's mean and unbiased variance.
  const double n = 12;
  const std::vector<double> running_mean = as_doubles(bn.statistics().corrected_mean());
  const std::vector<double> running_var = as_doubles(bn.statistics().corrected_variance());
  for (int64_t k = 0; k < c; ++k) {
    EXPECT_NEAR(running_mean[k], mean[k], 1e-4);
    EXPECT_NEAR(running_var[k], var[k] * n / (n - 1), 1e-4);
  }

  bn.set_training(false);
  const Tensor x2 = float_tensor(Shape{1, 2, 2, c}, 8);
  const Tensor y2 = bn(x2);
  EXPECT_EQ(bn.statistics().updates(), 1);
  EXPECT_EQ(as_doubles(bn.statistics().corrected_mean()), running_mean);
  const std::vector<double> x2v = as_doubles(x2);
  std::vector<double> expected2(x2v.size());
  for (size_t i = 0; i < x2v.size(); ++i) {
    const size_t k = i % c;
    expected2[i] =
        (x2v[i] - running_mean[k]) / std::sqrt(running_var[k] + 1e-3) * gamma[k] + beta[k];
  }
  EXPECT_TRUE(test::all_close(as_doubles(y2), expected2, 1e-5, 1e-4));
}

TEST(BatchNorm2dLayerTest, ForwardIsTheOpItWraps) {
  BatchNorm2d bn(4);
  bn.initialize(0);
  bn.beta().copy_(float_tensor(Shape{4}, 3));
  ops::BatchNormStatistics stats(4);
  for (uint64_t step = 0; step < 3; ++step) {
    const Tensor x = float_tensor(Shape{3, 2, 2, 4}, 10 + step);
    EXPECT_EQ(bn(x).to_vector<float>(),
              ops::batch_norm(x, Tensor(), bn.beta(), stats, true).to_vector<float>());
  }
  EXPECT_EQ(bn.statistics().mean_accumulator().to_vector<float>(),
            stats.mean_accumulator().to_vector<float>());
}

TEST(BatchNorm2dLayerTest, ListsItsBuffersByNameAndKind) {
  Sequential model;
  model.add(std::make_shared<ReLU>()).add(std::make_shared<BatchNorm2d>(6));
  const std::vector<NamedBuffer> buffers = model.buffers();
  const std::vector<std::pair<std::string, BufferKind>> expected = {
      {"1.running_mean", BufferKind::kExported},        {"1.running_var", BufferKind::kExported},
      {"1.num_batches_tracked", BufferKind::kExported}, {"1.mean_accumulator", BufferKind::kResume},
      {"1.variance_accumulator", BufferKind::kResume},  {"1.decay_product", BufferKind::kResume},
  };
  ASSERT_EQ(buffers.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(buffers[i].name, expected[i].first);
    EXPECT_EQ(buffers[i].kind, expected[i].second) << buffers[i].name;
  }
  EXPECT_EQ(buffers[0].tensor.shape(), (Shape{6}));
  EXPECT_EQ(buffers[2].tensor.dtype(), DType::kInt32);
  EXPECT_EQ(buffers[2].tensor.item<int32_t>(), 0);
  EXPECT_EQ(buffers[5].tensor.dtype(), DType::kFloat64);
  EXPECT_EQ(buffers[5].tensor.item<double>(), 1.0);
  // Before any training the running statistics are the identity, as in PyTorch.
  for (float v : buffers[1].tensor.to_vector<float>()) EXPECT_EQ(v, 1.0f);
  // Parameters are not buffers and buffers are not parameters.
  EXPECT_EQ(model.parameters().size(), 1u);
}

// Trains `bn` for `steps` batches drawn from `seed`.
void train(BatchNorm2d& bn, int steps, uint64_t seed) {
  bn.set_training(true);
  for (int s = 0; s < steps; ++s) {
    bn(float_tensor(Shape{4, 3, 3, bn.channels()}, seed + s, -1 + 0.1 * s, 2));
  }
}

TEST(BatchNorm2dLayerTest, LoadingTheRunningStatisticsAloneReproducesEvalMode) {
  BatchNorm2d trained(5);
  trained.initialize(0);
  train(trained, 7, 100);
  trained.set_training(false);
  const Tensor x = float_tensor(Shape{2, 3, 3, 5}, 200);
  const std::vector<float> expected = trained(x).to_vector<float>();

  BatchNorm2d fresh(5);
  fresh.initialize(0);
  fresh.set_training(false);
  EXPECT_NE(fresh(x).to_vector<float>(), expected);
  std::map<std::string, Tensor> exported = buffer_map(trained, /*exported_only=*/true);
  exported.erase("num_batches_tracked");  // optional: a file with the statistics alone loads
  fresh.load_buffers(exported);
  EXPECT_EQ(fresh(x).to_vector<float>(), expected);
  EXPECT_EQ(as_doubles(fresh.statistics().corrected_variance()),
            as_doubles(trained.statistics().corrected_variance()));
}

TEST(BatchNorm2dLayerTest, LoadingTheStatisticsWithTheirCountContinuesTheBiasCorrection) {
  // What a weights file holds: the corrected statistics and num_batches_tracked.
  BatchNorm2d straight(5), loaded(5), warmed(5);
  for (BatchNorm2d* bn : {&straight, &loaded, &warmed}) bn->initialize(0);
  train(straight, 4, 500);
  auto exported = buffer_map(straight, /*exported_only=*/true);
  loaded.load_buffers(exported);
  EXPECT_EQ(loaded.statistics().updates(), 4);
  EXPECT_EQ(loaded.statistics().decay_product(), std::pow(0.999, 4));
  // Eval mode uses exactly what was saved.
  EXPECT_EQ(as_doubles(loaded.statistics().corrected_mean()),
            as_doubles(straight.statistics().corrected_mean()));
  EXPECT_EQ(as_doubles(loaded.statistics().corrected_variance()),
            as_doubles(straight.statistics().corrected_variance()));
  // Without the count the statistics count as warmed up, as PyTorch's running averages are.
  exported.erase("num_batches_tracked");
  warmed.load_buffers(exported);
  EXPECT_EQ(warmed.statistics().decay_product(), 0.0);

  train(straight, 2, 600);
  train(loaded, 2, 600);
  train(warmed, 2, 600);
  // The fifth and sixth batches weigh in as in the run the statistics came from (about 1/5
  // and 1/6), not at 1 - decay.
  EXPECT_TRUE(test::all_close(as_doubles(loaded.statistics().corrected_mean()),
                              as_doubles(straight.statistics().corrected_mean()), 1e-6, 1e-5));
  EXPECT_TRUE(test::all_close(as_doubles(loaded.statistics().corrected_variance()),
                              as_doubles(straight.statistics().corrected_variance()), 1e-6, 1e-5));
  EXPECT_FALSE(test::all_close(as_doubles(warmed.statistics().corrected_mean()),
                               as_doubles(straight.statistics().corrected_mean()), 1e-3, 1e-3));
}

TEST(BatchNorm2dLayerTest, LoadingEveryBufferResumesTrainingBitForBit) {
  BatchNorm2d straight(4), resumed(4);
  straight.initialize(0);
  resumed.initialize(0);
  train(straight, 5, 300);
  resumed.load_buffers(buffer_map(straight, /*exported_only=*/false));
  EXPECT_EQ(resumed.statistics().updates(), 5);
  EXPECT_EQ(resumed.statistics().decay_product(), straight.statistics().decay_product());
  train(straight, 3, 400);
  train(resumed, 3, 400);
  const auto expected = buffer_map(straight, false);
  const auto actual = buffer_map(resumed, false);
  for (const auto& [name, tensor] : expected) {
    const Tensor& other = actual.at(name);
    if (tensor.dtype() == DType::kInt32) {
      EXPECT_EQ(tensor.to_vector<int32_t>(), other.to_vector<int32_t>()) << name;
    } else {
      EXPECT_EQ(as_doubles(tensor), as_doubles(other)) << name;
    }
  }
}

TEST(BatchNorm2dLayerTest, BadBufferSetsAreErrorsNamingTheLayer) {
  Sequential model;
  model.add(std::make_shared<BatchNorm2d>(3));
  auto all = buffer_map(model, false);
  auto partial = all;
  partial.erase("0.decay_product");
  EXPECT_TRUE(test::throws_with<Error>([&] { model.load_buffers(partial); },
                                       {"BatchNorm2d '0'", "decay_product"}));
  auto no_var = buffer_map(model, true);
  no_var.erase("0.running_var");
  EXPECT_TRUE(test::throws_with<Error>([&] { model.load_buffers(no_var); },
                                       {"BatchNorm2d '0'", "no running_var"}));
  auto wrong = buffer_map(model, true);
  wrong["0.running_mean"] = Tensor::zeros(Shape{4});
  EXPECT_TRUE(test::throws_with<Error>([&] { model.load_buffers(wrong); },
                                       {"BatchNorm2d '0'", "running_mean", "[4]"}));
  auto unknown = buffer_map(model, true);
  unknown["0.running_average"] = Tensor::zeros(Shape{3});
  EXPECT_TRUE(test::throws_with<Error>([&] { model.load_buffers(unknown); },
                                       {"'0.running_average'", "0.running_mean"}));
  EXPECT_TRUE(test::throws_with<Error>([&] { model.load_buffers({}); }, {"BatchNorm2d '0'"}));
}

TEST(BatchNorm2dLayerTest, AnInputItCannotTakeIsAnErrorNamingTheLayer) {
  Sequential model;
  model.add(std::make_shared<BatchNorm2d>(3));
  EXPECT_TRUE(test::throws_with<Error>(
      [&] {
        model(Tensor::zeros(Shape{2, 4, 4, 5}));
      },
      {"BatchNorm2d '0'", "[2, 4, 4, 5]"}));
}

}  // namespace
}  // namespace rethink
