// Every model of the zoo on the GPU against the CPU, from the same seed: Module::to moves the
// parameters and buffers, then one training forward and backward (logits, loss, every
// parameter's gradient, the batch-norm statistics it folds in) and an eval-mode forward.
// Whole models stack a dozen layers of float32 rounding, so they are held to 1e-4 normwise
// (each op alone is held to the tighter bounds of the op tests).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "models/zoo/registry.h"
#include "runtime/autograd.h"
#include "runtime/ops/softmax_cross_entropy.h"
#include "tests/support/device_test.h"
#include "tests/support/gradcheck.h"
#include "tests/support/parity.h"

namespace rethink {
namespace {

struct Outcome {
  Tensor logits, loss, eval_logits;
  std::vector<NamedParameter> params;
  std::vector<NamedBuffer> buffers;
};

Outcome run(const std::string& name, Device device, const Tensor& x, const Tensor& labels) {
  ModelInput input;
  input.dropout = 0.5;  // a dropout layer before the classifier, keyed by the step
  const std::shared_ptr<Module> model = make_model(name, input);
  model->initialize(1234);
  model->to(device);
  model->set_training(true);
  model->set_step(7);
  Outcome o;
  o.logits = model->forward(x.to(device));
  o.loss = ops::softmax_cross_entropy(o.logits, labels.to(device));
  o.loss.backward();
  o.params = model->parameters();
  o.buffers = model->buffers();
  model->set_training(false);
  NoGradGuard no_grad;
  o.eval_logits = model->forward(x.to(device));
  return o;
}

class ModelsParity : public ::testing::TestWithParam<std::string> {};

TEST_P(ModelsParity, TrainingStepAndEvalMatchTheCpu) {
  RT_SKIP_WITHOUT_GPU();
  const Tensor x = test::uniform_tensor(Shape{4, 28, 28, 3}, 1);
  const Tensor labels = test::random_labels(4, 10, 2);
  const Outcome cpu = run(GetParam(), Device::cpu(), x, labels);
  Outcome gpu;
  {
    PoisonScope poison;
    gpu = run(GetParam(), Device::cuda(), x, labels);
  }
  EXPECT_EQ(gpu.logits.device(), Device::cuda());
  EXPECT_TRUE(test::close_normwise(gpu.logits, cpu.logits, 1e-4)) << "logits";
  EXPECT_TRUE(test::close_normwise(gpu.loss, cpu.loss, 1e-5)) << "loss";
  EXPECT_TRUE(test::close_normwise(gpu.eval_logits, cpu.eval_logits, 1e-4)) << "eval logits";
  ASSERT_EQ(gpu.params.size(), cpu.params.size());
  for (size_t i = 0; i < cpu.params.size(); ++i) {
    const NamedParameter& p = gpu.params[i];
    EXPECT_EQ(p.tensor.device(), Device::cuda()) << p.name;
    ASSERT_TRUE(p.tensor.grad().defined()) << p.name;
    EXPECT_TRUE(test::close_normwise(p.tensor.grad(), cpu.params[i].tensor.grad(), 1e-4))
        << p.name << " gradient";
  }
  ASSERT_EQ(gpu.buffers.size(), cpu.buffers.size());
  for (size_t i = 0; i < cpu.buffers.size(); ++i) {
    EXPECT_TRUE(test::close_normwise(gpu.buffers[i].tensor, cpu.buffers[i].tensor, 1e-5))
        << gpu.buffers[i].name;
  }
}

INSTANTIATE_TEST_SUITE_P(Zoo, ModelsParity,
                         ::testing::Values("mlp1x512", "mlp3x512", "inception", "inception-nobn",
                                           "alexnet"),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           std::string n = p.param;
                           for (char& c : n) c = c == '-' ? '_' : c;
                           return n;
                         });

}  // namespace
}  // namespace rethink
