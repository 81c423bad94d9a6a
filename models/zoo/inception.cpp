#include "models/zoo/inception.h"

#include <algorithm>

#include "models/layers/max_pool2d.h"

namespace rethink {
namespace {

// Fig. 3's mean pooling: the whole 7x7 map that the stride-2 stages leave of a 28x28 image.
constexpr int64_t kPoolKernel = 7;

// Positions along one axis after both SAME stride-2 stages and the VALID 7x7 pool.
int64_t pooled(int64_t size) {
  const int64_t after_stages = (((size + 1) / 2) + 1) / 2;
  return after_stages - kPoolKernel + 1;
}

}  // namespace

ConvModule::ConvModule(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride,
                       bool batch_norm) {
  // With a normalizer TF-slim's conv2d creates no bias: beta takes its place.
  conv_ = add_module("conv", std::make_shared<Conv2d>(in_channels, out_channels, kernel, stride,
                                                      kernels::PaddingMode::kSame,
                                                      /*bias=*/!batch_norm));
  if (batch_norm) {
    bn_ = add_module("bn", std::make_shared<BatchNorm2d>(out_channels, BatchNormAffine::kBetaOnly));
  }
  relu_ = add_module("relu", std::make_shared<ReLU>());
}

Tensor ConvModule::forward(const Tensor& x) {
  Tensor h = conv_->forward(x);
  if (bn_) h = bn_->forward(h);
  return relu_->forward(h);
}

InceptionModule::InceptionModule(int64_t in_channels, int64_t ch1, int64_t ch3, bool batch_norm)
    : out_channels_(ch1 + ch3) {
  add("branch1x1", std::make_shared<ConvModule>(in_channels, ch1, 1, 1, batch_norm));
  add("branch3x3", std::make_shared<ConvModule>(in_channels, ch3, 3, 1, batch_norm));
}

DownsampleModule::DownsampleModule(int64_t in_channels, int64_t ch3, bool batch_norm)
    : out_channels_(ch3 + in_channels) {
  add("branch3x3", std::make_shared<ConvModule>(in_channels, ch3, 3, 2, batch_norm));
  add("pool", std::make_shared<MaxPool2d>(3, 2, kernels::PaddingMode::kSame));
}

Inception::Inception(int64_t in_channels, int64_t height, int64_t width, int64_t classes,
                     bool batch_norm, double dropout)
    : batch_norm_(batch_norm) {
  features_ = add_module("features", std::make_shared<Sequential>());
  int64_t channels = in_channels;
  auto conv = std::make_shared<ConvModule>(channels, 96, 3, 1, batch_norm);
  channels = conv->out_channels();
  features_->add(conv);
  auto inception = [&](int64_t ch1, int64_t ch3) {
    auto m = std::make_shared<InceptionModule>(channels, ch1, ch3, batch_norm);
    channels = m->out_channels();
    features_->add(m);
  };
  auto downsample = [&](int64_t ch3) {
    auto m = std::make_shared<DownsampleModule>(channels, ch3, batch_norm);
    channels = m->out_channels();
    features_->add(m);
  };
  // Fig. 3's network, rows 2-11.
  inception(32, 32);
  inception(32, 48);
  downsample(80);
  inception(112, 48);
  inception(96, 64);
  inception(80, 80);
  inception(48, 96);
  downsample(96);
  inception(176, 160);
  inception(176, 160);
  pool_ =
      add_module("pool", std::make_shared<AvgPool2d>(kPoolKernel, 1, kernels::PaddingMode::kValid));
  flatten_ = add_module("flatten", std::make_shared<Flatten>());
  // What the pool leaves of the two stride-2 stages' output; an image too small for the pool
  // (at most 0 here) is refused by the pool's forward, which names it.
  const int64_t positions =
      std::max<int64_t>(pooled(height), 1) * std::max<int64_t>(pooled(width), 1);
  if (dropout > 0) dropout_ = add_module("dropout", std::make_shared<Dropout>(dropout));
  classifier_ = add_module("classifier", std::make_shared<Linear>(channels * positions, classes));
}

Tensor Inception::forward(const Tensor& x) {
  Tensor h = flatten_->forward(pool_->forward(features_->forward(x)));
  if (dropout_) h = dropout_->forward(h);
  return classifier_->forward(h);
}

}  // namespace rethink
