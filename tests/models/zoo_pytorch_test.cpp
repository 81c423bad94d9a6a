// The zoo against PyTorch: tests/data/fixtures/models.safetensors holds what
// tools/torch_models.py computed in float64 from our own seeded initial weights and batches
// (tools/fixtures/models.py). Here the weights and batches are regenerated from the case's seed
// (tests/models/model_case.h) and our models must agree with PyTorch's, normwise: logits, loss
// and every parameter's gradient after one step; the loss of every one of 50 SGD steps, then
// the final parameters, the batch-norm running statistics and the eval-mode logits.
//
// Every case runs twice. In float64 (Module::to_dtype: the same kernels, instantiated for
// double) the conventions are checked to 1e-6, the precision the fixture keeps its samples in.
// In float32, the models' own dtype, to 1e-4, except where float32 cannot get there: a ReLU
// (or max-pool) decision whose input sits within rounding of its threshold goes the other way
// in float32, and with millions of such decisions per step some always do in the batch-norm
// Inception, moving every gradient upstream of them by ~1e-3 (PyTorch's own float32 is as far
// from its float64 on these cases; the generator measures it). Those cases carry their float32
// tolerance in the fixture.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "models/weights.h"
#include "runtime/ops/softmax_cross_entropy.h"
#include "runtime/optim/sgd.h"
#include "runtime/parameter_slab.h"
#include "tests/models/helpers.h"
#include "tests/models/model_case.h"
#include "tests/support/fixture.h"

namespace rethink {
namespace {

// The bound, in the models' own dtype.
constexpr double kRtol32 = 1e-4;
// float64 against float64: bounded by the fixture's float32 samples.
constexpr double kRtol64 = 1e-6;

const test::Fixture& fixture() {
  static const test::Fixture fx = test::Fixture::load("models");
  return fx;
}

std::vector<double> doubles(const Tensor& t) {
  if (t.dtype() == DType::kFloat64) return t.to_vector<double>();
  const std::vector<float> v = t.to_vector<float>();
  return {v.begin(), v.end()};
}

// Digest kinds, in the order that keys their sample streams (tools/fixtures/models.py KINDS).
enum class DigestKind : uint32_t { kGrad = 0, kParam = 1, kBuffer = 2 };

// The named tensors (in the weights file's layout, on the host) against PyTorch's digests of
// `kind`: the same names in the same order, each norm within rtol, and the sampled entries
// within rtol normwise. A sample of k of n entries is held to the larger of its own norm and
// the share sqrt(k / n) of the whole norm it is expected to carry, so that a sample of
// near-zero entries is not held to a tighter bound than the tensor.
void expect_digests_match(const std::vector<std::pair<std::string, Tensor>>& ours,
                          const test::ModelCase& c, const std::string& case_name, DigestKind kind,
                          const std::string& key, double rtol) {
  const test::Fixture& fx = fixture();
  const auto names = fx.params(case_name).at("digests").at(key).get<std::vector<std::string>>();
  const std::vector<double> norms = doubles(fx.tensor(case_name, key + "/norms"));
  const Tensor samples = fx.tensor(case_name, key + "/samples");
  ASSERT_EQ(names.size(), ours.size()) << case_name << " " << key;
  ASSERT_EQ(samples.shape(), (Shape{static_cast<int64_t>(ours.size()), samples.size(1)}));
  const int64_t k = samples.size(1);
  const std::vector<double> sampled = doubles(samples);
  for (size_t row = 0; row < ours.size(); ++row) {
    const auto& [name, tensor] = ours[row];
    ASSERT_EQ(name, names[row]) << case_name << ": " << key << " row " << row;
    const std::vector<double> a = doubles(tensor);
    double norm2 = 0;
    for (double v : a) norm2 += v * v;
    const double norm = std::sqrt(norm2), want = norms[row];
    EXPECT_LE(std::abs(norm - want), rtol * want)
        << case_name << ": " << key << " " << name << " norm " << norm << " vs PyTorch's " << want;
    const auto stream = PhiloxStream::make(c.seed, RngPurpose::kData, static_cast<uint32_t>(kind),
                                           static_cast<uint32_t>(row));
    double diff2 = 0, sample2 = 0;
    for (int64_t j = 0; j < k; ++j) {
      const double v = sampled[static_cast<size_t>(row * k + j)];
      const double d = a[stream.below(j, static_cast<uint32_t>(a.size()))] - v;
      diff2 += d * d;
      sample2 += v * v;
    }
    const double share = want * std::sqrt(static_cast<double>(k) / static_cast<double>(a.size()));
    const double scale = std::max(std::sqrt(sample2), share);
    EXPECT_LE(std::sqrt(diff2), rtol * scale)
        << case_name << ": " << key << " " << name << ": the sampled entries differ";
  }
}

// Every parameter (or its gradient), in the weights file's layout.
std::vector<std::pair<std::string, Tensor>> exported_parameters(const Module& model,
                                                                bool gradients) {
  std::vector<std::pair<std::string, Tensor>> out;
  for (const NamedParameter& p : model.parameters()) {
    const Tensor& t = gradients ? p.tensor.grad() : p.tensor;
    RT_CHECK(t.defined(), "{} has no gradient", p.name);
    out.emplace_back(p.name, to_export_layout(t, p.layout));
  }
  return out;
}

// The batch-norm running statistics, corrected, as the weights file holds them.
void expect_statistics_match(const Module& model, const test::ModelCase& c,
                             const std::string& case_name, double rtol) {
  std::vector<std::pair<std::string, Tensor>> stats;
  for (const NamedBuffer& b : model.buffers()) {
    if (b.name.ends_with("running_mean") || b.name.ends_with("running_var")) {
      stats.emplace_back(b.name, b.tensor);
    }
  }
  EXPECT_EQ(fixture().has(case_name, "buffer/norms"), !stats.empty()) << case_name;
  if (!stats.empty())
    expect_digests_match(stats, c, case_name, DigestKind::kBuffer, "buffer", rtol);
}

Tensor in_dtype(const Tensor& t, DType dtype) {
  Tensor out = t.clone();
  out.retype_(dtype);
  return out;
}

std::string dtype_label(const ::testing::TestParamInfo<std::tuple<std::string, DType>>& info) {
  return std::get<0>(info.param) + "_" + std::string(dtype_name(std::get<1>(info.param)));
}

class ZooPyTorchTest : public ::testing::TestWithParam<std::tuple<std::string, DType>> {
 protected:
  test::SingleThreaded single_threaded_;

  const std::string& case_name() const { return std::get<0>(GetParam()); }
  DType dtype() const { return std::get<1>(GetParam()); }
  test::ModelCase model_case() const {
    return test::ModelCase::from_json(fixture().params(case_name()));
  }
  std::shared_ptr<Module> model(const test::ModelCase& c) const {
    auto m = test::case_model(c);
    m->to_dtype(dtype());
    return m;
  }
  // The bound for this dtype; in float32, the case's own where the fixture gives one, and none
  // (nullopt: not compared in float32) where it gives null.
  std::optional<double> rtol(const char* float32_key) const {
    if (dtype() == DType::kFloat64) return kRtol64;
    const nlohmann::json& params = fixture().params(case_name());
    if (!params.contains(float32_key)) return kRtol32;
    if (params.at(float32_key).is_null()) return std::nullopt;
    return params.at(float32_key).get<double>();
  }
};

TEST_P(ZooPyTorchTest, LogitsLossAndEveryGradientMatchPyTorch) {
  const test::ModelCase c = model_case();
  ASSERT_EQ(c.steps, 0) << "a gradient case";
  const auto m = model(c);
  m->set_training(true);
  const Tensor logits = m->forward(in_dtype(test::case_images(c, 0), dtype()));
  const Tensor loss = ops::softmax_cross_entropy(logits, test::case_labels(c, 0));
  loss.backward();

  const double forward_rtol = dtype() == DType::kFloat64 ? kRtol64 : kRtol32;
  EXPECT_TRUE(test::close_normwise(logits, fixture().tensor(case_name(), "logits"), forward_rtol));
  EXPECT_TRUE(test::close_normwise(loss, fixture().tensor(case_name(), "loss"), forward_rtol));
  const std::optional<double> gradient_rtol = rtol("float32_gradient_rtol");
  ASSERT_TRUE(gradient_rtol.has_value());
  expect_digests_match(exported_parameters(*m, /*gradients=*/true), c, case_name(),
                       DigestKind::kGrad, "grad", *gradient_rtol);
  // One training step folded the batch in: the corrected statistics are the batch's own.
  expect_statistics_match(*m, c, case_name(), forward_rtol);
}

INSTANTIATE_TEST_SUITE_P(Models, ZooPyTorchTest,
                         ::testing::Combine(::testing::Values("mlp1x512", "alexnet", "inception"),
                                            ::testing::Values(DType::kFloat32, DType::kFloat64)),
                         dtype_label);

class ZooPyTorchTrajectoryTest : public ZooPyTorchTest {};

TEST_P(ZooPyTorchTrajectoryTest, FiftySgdStepsFollowPyTorchsLossAtEveryStep) {
  const test::ModelCase c = model_case();
  ASSERT_EQ(c.steps, 50);
  const auto m = model(c);
  ParameterSlab slab(m->parameters());
  Sgd sgd(slab, SgdOptions{c.momentum, 0.0, false});
  std::vector<Tensor> images, labels;
  for (int64_t i = 0; i <= c.pool; ++i) {
    images.push_back(in_dtype(test::case_images(c, i), dtype()));
    labels.push_back(test::case_labels(c, i));
  }

  const std::vector<double> expected = doubles(fixture().tensor(case_name(), "losses"));
  ASSERT_EQ(expected.size(), static_cast<size_t>(c.steps));
  const std::optional<double> loss_rtol_or = rtol("float32_loss_rtol");
  ASSERT_TRUE(loss_rtol_or.has_value());
  const double loss_rtol = *loss_rtol_or;
  m->set_training(true);
  for (int64_t step = 0; step < c.steps; ++step) {
    m->set_step(step);
    const Tensor loss =
        ops::softmax_cross_entropy(m->forward(images[step % c.pool]), labels[step % c.pool]);
    const double value = doubles(loss)[0];
    const double want = expected[static_cast<size_t>(step)];
    ASSERT_LE(std::abs(value - want), loss_rtol * std::abs(want))
        << case_name() << ": step " << step << " loss " << value << " vs PyTorch's " << want;
    sgd.zero_grad();
    loss.backward();
    sgd.step(c.lr);
  }
  EXPECT_LT(expected.back(), 0.5 * expected.front()) << "the trajectory should learn something";

  const std::optional<double> state_rtol_or = rtol("float32_state_rtol");
  if (!state_rtol_or) {
    // The losses above were checked; the final state is left to the float64 run.
    std::cout << case_name() << ": the final state is compared in float64 only (float32 "
              << "rounding compounds past any useful bound over the steps)\n";
    return;
  }
  const double state_rtol = *state_rtol_or;
  expect_digests_match(exported_parameters(*m, /*gradients=*/false), c, case_name(),
                       DigestKind::kParam, "param", state_rtol);
  expect_statistics_match(*m, c, case_name(), state_rtol);
  m->set_training(false);
  EXPECT_TRUE(test::close_normwise(m->forward(images[c.pool]),
                                   fixture().tensor(case_name(), "eval_logits"), state_rtol));
}

INSTANTIATE_TEST_SUITE_P(Models, ZooPyTorchTrajectoryTest,
                         ::testing::Combine(::testing::Values("mlp1x512_sgd", "inception_sgd"),
                                            ::testing::Values(DType::kFloat32, DType::kFloat64)),
                         dtype_label);

}  // namespace
}  // namespace rethink
