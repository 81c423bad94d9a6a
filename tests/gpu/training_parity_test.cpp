// 20 SGD steps from the same seed on both devices: an MLP (with dropout) and a small conv net
// with batch norm, max pooling, two branches concatenated and global average pooling. The
// losses must agree within 1e-4 relative at every step (and with a float64 run of the same
// steps on the CPU), and so must the trained parameters and the eval-mode predictions.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "runtime/autograd.h"
#include "runtime/ops/batch_norm.h"
#include "runtime/ops/concat.h"
#include "runtime/ops/conv2d.h"
#include "runtime/ops/dropout.h"
#include "runtime/ops/global_avg_pool.h"
#include "runtime/ops/linear.h"
#include "runtime/ops/max_pool2d.h"
#include "runtime/ops/relu.h"
#include "runtime/ops/softmax_cross_entropy.h"
#include "runtime/optim/sgd.h"
#include "tests/support/device_test.h"
#include "tests/support/gradcheck.h"
#include "tests/support/parity.h"

namespace rethink {
namespace {

using test::Tolerance;

template <class D>
class TrainingParity : public test::DeviceTest<D> {};
TYPED_TEST_SUITE(TrainingParity, test::Devices, test::DeviceNames);

constexpr int kSteps = 20;
constexpr int64_t kBatch = 16;

// The net: parameters in a slab on the data's device, and a forward for (x, step, training).
struct Net {
  std::vector<Tensor> params;
  std::function<Tensor(const Tensor& x, int step, bool training)> forward;
};

// Trains `net` for kSteps on batches sliced from in[0] (images) and in[1] (labels); returns
// the losses (float64 [kSteps]), the trained slab, and eval-mode logits of the first batch.
std::vector<Tensor> train(const std::vector<Tensor>& in, Net net, const Shape& image) {
  const Device device = in[0].device();
  std::vector<NamedParameter> named;
  for (size_t i = 0; i < net.params.size(); ++i) {
    std::string name = "p";
    name += std::to_string(i);
    Tensor param = net.params[i];
    param.set_requires_grad(true);
    named.push_back({name, param, param.rank() > 1});
  }
  ParameterSlab slab(named, device);
  Sgd sgd(slab, {.momentum = 0.9, .weight_decay = 5e-4, .nesterov = false});
  std::vector<double> losses;
  const int64_t per_image = image.numel();
  std::vector<int64_t> dims = {kBatch};
  for (const int64_t d : image.dims()) dims.push_back(d);
  const Shape batch_shape(dims);
  for (int s = 0; s < kSteps; ++s) {
    const Tensor x = in[0].flat_view(s * kBatch * per_image, batch_shape);
    const Tensor labels = in[1].flat_view(s * kBatch, Shape{kBatch});
    const Tensor loss = ops::softmax_cross_entropy(net.forward(x, s, true), labels);
    losses.push_back(loss.dtype() == DType::kFloat64 ? loss.item<double>()
                                                     : static_cast<double>(loss.item<float>()));
    sgd.zero_grad();
    loss.backward();
    sgd.step(0.05);
  }
  NoGradGuard no_grad;
  const Tensor eval_logits = net.forward(in[0].flat_view(0, batch_shape), kSteps, false);
  return {Tensor::from_vector(Shape{kSteps}, losses), slab.values(), eval_logits};
}

const std::vector<Tolerance> kTrainingTolerances = {
    Tolerance::elementwise(0, 1e-4), Tolerance::normwise(1e-4), Tolerance::normwise(1e-4)};

TYPED_TEST(TrainingParity, MlpWithDropoutTwentySteps) {
  const Shape image{48};
  const std::vector<Tensor> in = {test::uniform_tensor(Shape{kSteps * kBatch, 48}, 1),
                                  test::random_labels(kSteps * kBatch, 10, 2),
                                  test::uniform_tensor(Shape{64, 48}, 3, -0.3, 0.3),
                                  test::uniform_tensor(Shape{64}, 4, 0, 0.1),
                                  test::uniform_tensor(Shape{32, 64}, 5, -0.3, 0.3),
                                  test::uniform_tensor(Shape{32}, 6, 0, 0.1),
                                  test::uniform_tensor(Shape{10, 32}, 7, -0.3, 0.3),
                                  test::uniform_tensor(Shape{10}, 8, 0, 0.1)};
  const auto run = [&](const std::vector<Tensor>& t) {
    Net net;
    net.params.assign(t.begin() + 2, t.end());
    const std::vector<Tensor> p = net.params;
    net.forward = [p](const Tensor& x, int step, bool training) {
      Tensor h = ops::relu(ops::linear(x, p[0], p[1]));
      h = ops::dropout(h, 0.25, {.seed = 77, .step = static_cast<uint32_t>(step), .layer = 0},
                       training);
      h = ops::relu(ops::linear(h, p[2], p[3]));
      return ops::linear(h, p[4], p[5]);
    };
    return train(t, net, image);
  };
  test::expect_parity(this->device(), run, in, kTrainingTolerances);
}

TYPED_TEST(TrainingParity, ConvNetWithBatchNormTwentySteps) {
  const Shape image{12, 12, 3};
  const std::vector<Tensor> in = {
      test::uniform_tensor(Shape{kSteps * kBatch, 12, 12, 3}, 11),
      test::random_labels(kSteps * kBatch, 10, 12),
      test::uniform_tensor(Shape{8, 3, 3, 3}, 13, -0.4, 0.4),  // conv 3x3, 3 -> 8
      test::uniform_tensor(Shape{8}, 14, -0.1, 0.1),           // its BN's beta
      test::uniform_tensor(Shape{6, 1, 1, 8}, 15, -0.4, 0.4),  // branch: 1x1, 8 -> 6
      test::uniform_tensor(Shape{6, 3, 3, 8}, 16, -0.2, 0.2),  // branch: 3x3, 8 -> 6
      test::uniform_tensor(Shape{12}, 17, 0.8, 1.2),           // BN gamma
      test::uniform_tensor(Shape{12}, 18, -0.1, 0.1),          // BN beta
      test::uniform_tensor(Shape{10, 12}, 19, -0.3, 0.3),
      test::uniform_tensor(Shape{10}, 20)};
  const auto run = [&](const std::vector<Tensor>& t) {
    Net net;
    net.params.assign(t.begin() + 2, t.end());
    const std::vector<Tensor> p = net.params;
    const Device device = t[0].device();
    auto bn1 = std::make_shared<ops::BatchNormStatistics>(8, t[0].dtype(), device);
    auto bn2 = std::make_shared<ops::BatchNormStatistics>(12, t[0].dtype(), device);
    net.forward = [p, bn1, bn2](const Tensor& x, int, bool training) {
      Tensor h = ops::relu(ops::batch_norm(ops::conv2d(x, p[0]), {}, p[1], *bn1, training));
      h = ops::max_pool2d(h, {3, 2, kernels::PaddingMode::kSame});  // 12x12 -> 6x6
      h = ops::concat_channels({ops::conv2d(h, p[2]), ops::conv2d(h, p[3])});
      h = ops::relu(ops::batch_norm(h, p[4], p[5], *bn2, training));
      return ops::linear(ops::global_avg_pool(h), p[6], p[7]);
    };
    return train(t, net, image);
  };
  test::expect_parity(this->device(), run, in, kTrainingTolerances);
}

}  // namespace
}  // namespace rethink
