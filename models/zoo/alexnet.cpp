#include "models/zoo/alexnet.h"

#include "models/layers/conv2d.h"
#include "models/layers/lrn.h"
#include "models/layers/max_pool2d.h"
#include "models/layers/relu.h"

namespace rethink {
namespace {

constexpr int64_t kFilters = 64;
constexpr int64_t kKernel = 5;

// The TF CIFAR-10 tutorial's settings (cifar10.py's norm1 and norm2).
constexpr ops::LrnOptions kLrn{4, 1.0, 0.001 / 9.0, 0.75};

// A SAME stride-2 pool's output size.
int64_t halved(int64_t size) { return (size + 1) / 2; }

}  // namespace

AlexNet::AlexNet(int64_t in_channels, int64_t height, int64_t width, int64_t classes,
                 double dropout) {
  features_ = add_module("features", std::make_shared<Sequential>());
  const double conv_bias[] = {0.0, 0.1};
  int64_t channels = in_channels;
  for (double bias : conv_bias) {
    auto conv = std::make_shared<Conv2d>(channels, kFilters, kKernel);
    conv->set_init(WeightInit::truncated_normal(5e-2, bias));
    features_->add(conv);
    features_->add(std::make_shared<ReLU>());
    features_->add(std::make_shared<MaxPool2d>(3, 2, kernels::PaddingMode::kSame));
    features_->add(std::make_shared<Lrn>(kLrn));
    channels = kFilters;
  }
  flatten_ = add_module("flatten", std::make_shared<Flatten>());

  hidden_ = add_module("hidden", std::make_shared<Sequential>());
  int64_t width_in = kFilters * halved(halved(height)) * halved(halved(width));
  for (int64_t units : {int64_t{384}, int64_t{192}}) {
    auto fc = std::make_shared<Linear>(width_in, units);
    fc->set_init(WeightInit::truncated_normal(0.04, 0.1));
    hidden_->add(fc);
    hidden_->add(std::make_shared<ReLU>());
    width_in = units;
  }
  if (dropout > 0) dropout_ = add_module("dropout", std::make_shared<Dropout>(dropout));
  classifier_ = add_module("classifier", std::make_shared<Linear>(width_in, classes));
  classifier_->set_init(WeightInit::truncated_normal(1.0 / 192.0, 0.0));
}

Tensor AlexNet::forward(const Tensor& x) {
  Tensor h = hidden_->forward(flatten_->forward(features_->forward(x)));
  if (dropout_) h = dropout_->forward(h);
  return classifier_->forward(h);
}

}  // namespace rethink
