// Batch norm on the device against the CPU: training (batch statistics, the full backward,
// the moving averages) and inference (frozen statistics), with no affine parameters, beta only
// (the paper's) and gamma + beta, gradients overwritten and accumulated, over the Inception's
// BN shapes, [N, C] rows and odd sizes around the reduction's chunk (256 rows) and column
// block (32 channels).
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "runtime/autograd.h"
#include "runtime/ops/batch_norm.h"
#include "tests/support/device_test.h"
#include "tests/support/parity.h"

namespace rethink {
namespace {

using test::Tolerance;

template <class D>
class BatchNormParity : public test::DeviceTest<D> {};
TYPED_TEST_SUITE(BatchNormParity, test::Devices, test::DeviceNames);

enum class Affine { kNone, kBeta, kGammaBeta };

// Inputs: x, gamma, beta, dy, and (for accumulation) previous gradients of gamma and beta.
// Outputs: y, dx, dgamma, dbeta, then the statistics' accumulators and corrected values.
std::vector<Tensor> batch_norm_run(const std::vector<Tensor>& in, Affine affine, bool training,
                                   bool accumulate) {
  Tensor x = in[0];
  x.set_requires_grad(true);
  Tensor gamma = affine == Affine::kGammaBeta ? in[1] : Tensor();
  Tensor beta = affine != Affine::kNone ? in[2] : Tensor();
  for (Tensor* p : {&gamma, &beta}) {
    if (!p->defined()) continue;
    p->set_requires_grad(true);
    if (accumulate) p->set_grad((p == &gamma ? in[4] : in[5]).clone());
  }
  const int64_t channels = x.size(-1);
  ops::BatchNormStatistics stats(channels, x.dtype(), x.device());
  if (!training) {
    // Statistics from two training batches first, so that eval mode has something to use.
    NoGradGuard no_grad;
    for (int k = 0; k < 2; ++k) (void)ops::batch_norm(in[k == 0 ? 3 : 0], {}, {}, stats, true);
  }
  const Tensor y = ops::batch_norm(x, gamma, beta, stats, training);
  y.backward(in[3]);
  return {y,
          x.grad(),
          gamma.defined() ? gamma.grad() : Tensor(),
          beta.defined() ? beta.grad() : Tensor(),
          stats.mean_accumulator(),
          stats.variance_accumulator(),
          stats.corrected_mean(),
          stats.corrected_variance()};
}

std::vector<Shape> shapes(bool gpu) {
  // (Not 2 rows: the exact dx of a two-value batch is 0, so float32 carries only rounding.)
  std::vector<Shape> s = {Shape{4, 28, 28, 96}, Shape{4, 14, 14, 80}, Shape{3, 7, 7, 176},
                          Shape{3, 2},          Shape{257, 33},       Shape{5, 3, 7, 1},
                          Shape{300, 70}};
  if (gpu) s.push_back(Shape{128, 28, 28, 96});  // a full batch of the first Inception layer
  return s;
}

TYPED_TEST(BatchNormParity, TrainingAndInferenceForwardAndBackward) {
  // y and dx per element; the parameter gradients and statistics are reductions.
  const std::vector<Tolerance> tolerances = {Tolerance::elementwise(), Tolerance::normwise(),
                                             Tolerance::normwise(),    Tolerance::normwise(),
                                             Tolerance::normwise(),    Tolerance::normwise(),
                                             Tolerance::normwise(),    Tolerance::normwise()};
  for (const Shape& shape : shapes(this->on_cuda())) {
    const int64_t c = shape[-1];
    const std::vector<Tensor> in = {
        test::uniform_tensor(shape, 1, -2, 3), test::uniform_tensor(Shape{c}, 2, 0.5, 1.5),
        test::uniform_tensor(Shape{c}, 3),     test::uniform_tensor(shape, 4),
        test::uniform_tensor(Shape{c}, 5),     test::uniform_tensor(Shape{c}, 6)};
    for (const Affine affine : {Affine::kNone, Affine::kBeta, Affine::kGammaBeta}) {
      for (const bool training : {true, false}) {
        for (const bool accumulate : {false, true}) {
          if (accumulate && affine == Affine::kNone) continue;
          SCOPED_TRACE(::testing::Message()
                       << shape.to_string() << " affine " << static_cast<int>(affine)
                       << (training ? " training" : " inference")
                       << (accumulate ? " accumulating" : ""));
          test::expect_parity(
              this->device(),
              [&](const std::vector<Tensor>& t) {
                return batch_norm_run(t, affine, training, accumulate);
              },
              in, tolerances);
        }
      }
    }
  }
}

// A large offset (|mean| >> std) is where a one-pass E[x^2] - E[x]^2 variance falls apart.
TYPED_TEST(BatchNormParity, VarianceStaysAccurateUnderALargeMean) {
  const Shape shape{64, 6, 6, 8};
  const std::vector<Tensor> in = {test::uniform_tensor(shape, 7, 999.0, 1001.0),
                                  test::uniform_tensor(Shape{8}, 2),
                                  test::uniform_tensor(Shape{8}, 3),
                                  test::uniform_tensor(shape, 4),
                                  test::uniform_tensor(Shape{8}, 5),
                                  test::uniform_tensor(Shape{8}, 6)};
  const auto op = [](const std::vector<Tensor>& t) {
    return batch_norm_run(t, Affine::kBeta, true, false);
  };
  test::expect_parity(this->device(), op, in, std::vector<Tolerance>(8, Tolerance::normwise(1e-4)));
}

}  // namespace
}  // namespace rethink
