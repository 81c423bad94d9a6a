// Our convolution and batch norm against cuDNN (the reference engine, --conv-engine cudnn) on
// every layer shape of the small Inception at batch 8, in fp32 and TF32; and the cuDNN engine
// itself against the CPU through the ops, so that a wrong reference cannot pass for a right one.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/autograd.h"
#include "runtime/compute_settings.h"
#include "runtime/ops/batch_norm.h"
#include "tests/gpu/conv_shapes.h"
#include "tests/support/device_test.h"
#include "tests/support/parity.h"

namespace rethink {
namespace {

using test::ConvSpec;
using test::Tolerance;

std::vector<Tensor> on_gpu(const std::vector<Tensor>& in) {
  std::vector<Tensor> out;
  for (const Tensor& t : in) out.push_back(t.to(Device::cuda()));
  return out;
}

std::vector<Tensor> run_with(ConvEngine engine, MathMode math, const test::Op& op,
                             const std::vector<Tensor>& in) {
  ComputeSettingsScope settings({.math = math, .conv_engine = engine});
  PoisonScope poison;
  std::vector<Tensor> out = op(on_gpu(in));
  for (Tensor& t : out) t = t.defined() ? t.to(Device::cpu()) : t;
  return out;
}

void expect_engines_agree(const test::Op& op, const std::vector<Tensor>& in, MathMode math,
                          double rtol) {
  const std::vector<Tensor> ours = run_with(ConvEngine::kOurs, math, op, in);
  const std::vector<Tensor> cudnn = run_with(ConvEngine::kCudnn, math, op, in);
  ASSERT_EQ(ours.size(), cudnn.size());
  for (size_t k = 0; k < ours.size(); ++k) {
    if (!ours[k].defined()) continue;
    EXPECT_TRUE(test::close_normwise(ours[k], cudnn[k], rtol)) << "output " << k;
  }
}

std::vector<ConvSpec> inception_convolutions() {
  std::vector<ConvSpec> all = test::paper_convolutions();
  all.resize(19);  // the first 19 are the Inception's; AlexNet's two follow
  return all;
}

TEST(CudnnReference, OurConvMatchesCudnnOnEveryInceptionLayer) {
  RT_SKIP_WITHOUT_GPU();
  for (const ConvSpec& spec : inception_convolutions()) {
    SCOPED_TRACE(spec.name());
    const std::vector<Tensor> in = test::conv2d_inputs(spec, 8, 1);
    expect_engines_agree(test::conv2d_and_grads(spec, true), in, MathMode::kFp32, 1e-5);
    expect_engines_agree(test::conv2d_and_grads(spec, false), in, MathMode::kTf32, 2e-3);
  }
}

TEST(CudnnReference, TheCudnnEngineMatchesTheCpu) {
  RT_SKIP_WITHOUT_GPU();
  ComputeSettingsScope cudnn({.conv_engine = ConvEngine::kCudnn});
  std::vector<ConvSpec> specs = test::paper_convolutions();
  for (const ConvSpec& s : test::odd_convolutions()) specs.push_back(s);
  for (const ConvSpec& spec : specs) {
    SCOPED_TRACE(spec.name());
    test::expect_parity(Device::cuda(), test::conv2d_and_grads(spec, true),
                        test::conv2d_inputs(spec, 2, 3),
                        std::vector<Tolerance>(4, Tolerance::normwise()));
  }
}

// y, dx, dgamma, dbeta and the moving statistics of one training step, then eval mode.
std::vector<Tensor> batch_norm_step(const std::vector<Tensor>& in) {
  Tensor x = in[0], gamma = in[1], beta = in[2];
  for (Tensor* t : {&x, &gamma, &beta}) t->set_requires_grad(true);
  ops::BatchNormStatistics stats(x.size(-1), x.dtype(), x.device());
  const Tensor y = ops::batch_norm(x, gamma, beta, stats, true);
  y.backward(in[3]);
  NoGradGuard no_grad;
  const Tensor eval = ops::batch_norm(in[0], gamma, beta, stats, false);
  return {
      y,   x.grad(), gamma.grad(), beta.grad(), stats.corrected_mean(), stats.corrected_variance(),
      eval};
}

TEST(CudnnReference, BatchNormMatchesOursAndTheCpu) {
  RT_SKIP_WITHOUT_GPU();
  for (const Shape& shape : {Shape{8, 28, 28, 96}, Shape{8, 28, 28, 80}, Shape{8, 14, 14, 160},
                             Shape{8, 7, 7, 336}, Shape{129, 7}}) {
    SCOPED_TRACE(shape.to_string());
    const int64_t c = shape[-1];
    const std::vector<Tensor> in = {
        test::uniform_tensor(shape, 1, -2, 3), test::uniform_tensor(Shape{c}, 2, 0.5, 1.5),
        test::uniform_tensor(Shape{c}, 3), test::uniform_tensor(shape, 4)};
    expect_engines_agree(batch_norm_step, in, MathMode::kFp32, 1e-5);
    ComputeSettingsScope cudnn({.conv_engine = ConvEngine::kCudnn});
    test::expect_parity(Device::cuda(), batch_norm_step, in,
                        std::vector<Tolerance>(7, Tolerance::normwise()));
  }
}

}  // namespace
}  // namespace rethink
