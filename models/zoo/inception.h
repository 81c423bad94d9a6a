// The paper's small Inception for CIFAR-10 (appendix Fig. 3; PAPER.md 4.1), with and without
// batch norm. NHWC activations; TF SAME padding (at stride 2 the extra row and column go bottom
// and right); Glorot-uniform weights and zero biases (TF-slim's defaults).
//
//   features.0      ConvModule(96, 3x3)         28x28x96
//   features.1      Inception(32, 32)           28x28x64
//   features.2      Inception(32, 48)           28x28x80
//   features.3      Downsample(80)              14x14x160
//   features.4..7   Inception(112, 48), (96, 64), (80, 80), (48, 96)    14x14x{160,160,160,144}
//   features.8      Downsample(96)              7x7x240
//   features.9, 10  Inception(176, 160) twice   7x7x336
//   pool            7x7 mean pool, VALID        1x1x336
//   flatten         336
//   dropout         (only with dropout > 0)
//   classifier      Linear(336, classes)
//
// A conv module is conv -> bn (BatchNorm2d, beta only, epsilon 1e-3, decay 0.999) -> relu
// with a bias-free conv; without batch norm, conv with a bias -> relu. Either way each conv has
// one per-channel vector, so both variants have 1,649,402 parameters on 28x28x3 with 10
// classes. An Inception module concatenates [branch1x1, branch3x3]; a downsample module
// [branch3x3 (3x3 stride 2 conv module), pool (3x3 stride 2 max-pool, all input channels)].
// Conv weights are held OHWI and exported OIHW (PyTorch's Conv2d.weight), so the shapes below
// are PyTorch's [out, in, kh, kw].
//
// Parameters of `inception` (3 input channels, 10 classes), in order. `inception-nobn` has
// the same list with every ".bn.bias" replaced by ".conv.bias" (same shape). The
// BatchNorm2d buffers (running_mean, running_var, num_batches_tracked) sit beside each
// ".bn.bias" under the same prefix.
//   features.0.conv.weight             [96, 3, 3, 3]
//   features.0.bn.bias                 [96]
//   features.1.branch1x1.conv.weight   [32, 96, 1, 1]
//   features.1.branch1x1.bn.bias       [32]
//   features.1.branch3x3.conv.weight   [32, 96, 3, 3]
//   features.1.branch3x3.bn.bias       [32]
//   features.2.branch1x1.conv.weight   [32, 64, 1, 1]
//   features.2.branch1x1.bn.bias       [32]
//   features.2.branch3x3.conv.weight   [48, 64, 3, 3]
//   features.2.branch3x3.bn.bias       [48]
//   features.3.branch3x3.conv.weight   [80, 80, 3, 3]
//   features.3.branch3x3.bn.bias       [80]
//   features.4.branch1x1.conv.weight   [112, 160, 1, 1]
//   features.4.branch1x1.bn.bias       [112]
//   features.4.branch3x3.conv.weight   [48, 160, 3, 3]
//   features.4.branch3x3.bn.bias       [48]
//   features.5.branch1x1.conv.weight   [96, 160, 1, 1]
//   features.5.branch1x1.bn.bias       [96]
//   features.5.branch3x3.conv.weight   [64, 160, 3, 3]
//   features.5.branch3x3.bn.bias       [64]
//   features.6.branch1x1.conv.weight   [80, 160, 1, 1]
//   features.6.branch1x1.bn.bias       [80]
//   features.6.branch3x3.conv.weight   [80, 160, 3, 3]
//   features.6.branch3x3.bn.bias       [80]
//   features.7.branch1x1.conv.weight   [48, 160, 1, 1]
//   features.7.branch1x1.bn.bias       [48]
//   features.7.branch3x3.conv.weight   [96, 160, 3, 3]
//   features.7.branch3x3.bn.bias       [96]
//   features.8.branch3x3.conv.weight   [96, 144, 3, 3]
//   features.8.branch3x3.bn.bias       [96]
//   features.9.branch1x1.conv.weight   [176, 240, 1, 1]
//   features.9.branch1x1.bn.bias       [176]
//   features.9.branch3x3.conv.weight   [160, 240, 3, 3]
//   features.9.branch3x3.bn.bias       [160]
//   features.10.branch1x1.conv.weight  [176, 336, 1, 1]
//   features.10.branch1x1.bn.bias      [176]
//   features.10.branch3x3.conv.weight  [160, 336, 3, 3]
//   features.10.branch3x3.bn.bias      [160]
//   classifier.weight                  [10, 336]
//   classifier.bias                    [10]
//
// The pool is Fig. 3's "Mean Pooling 7x7 kernel": a 7x7 window, stride 1, VALID, which is the
// global mean on 28x28 inputs (the stride-2 stages leave 7x7). Other sizes follow from it: the
// last stage leaves ceil(ceil(H / 2) / 2) rows, so images need at least 25x25 (an 8x8 image
// leaves 2x2 and is refused by 'pool', naming it), and a larger image leaves more than one
// position (32x32: 8x8 -> 2x2), which the flatten passes on in (h, w, c) order and the
// classifier takes: Linear(336 * (ceil(ceil(H / 2) / 2) - 6) * (... W ...), classes).
#pragma once

#include <cstdint>
#include <memory>

#include "models/layers/avg_pool2d.h"
#include "models/layers/batch_norm2d.h"
#include "models/layers/branches.h"
#include "models/layers/conv2d.h"
#include "models/layers/dropout.h"
#include "models/layers/flatten.h"
#include "models/layers/linear.h"
#include "models/layers/relu.h"
#include "models/module.h"

namespace rethink {

// conv (no bias) -> bn -> relu, or conv (bias) -> relu without batch norm; SAME padding.
class ConvModule : public Module {
 public:
  ConvModule(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride,
             bool batch_norm);
  Tensor forward(const Tensor& x) override;
  std::string_view type_name() const override { return "ConvModule"; }
  int64_t out_channels() const { return conv_->out_channels(); }

 private:
  std::shared_ptr<Conv2d> conv_;
  std::shared_ptr<BatchNorm2d> bn_;  // null without batch norm
  std::shared_ptr<ReLU> relu_;
};

// [branch1x1: 1x1 conv module, branch3x3: 3x3 conv module], concatenated: ch1 + ch3 channels.
class InceptionModule : public Branches {
 public:
  InceptionModule(int64_t in_channels, int64_t ch1, int64_t ch3, bool batch_norm);
  std::string_view type_name() const override { return "InceptionModule"; }
  int64_t out_channels() const { return out_channels_; }

 private:
  int64_t out_channels_;
};

// [branch3x3: 3x3 stride-2 conv module, pool: 3x3 stride-2 max-pool], concatenated: halves the
// image and gives ch3 + in_channels channels.
class DownsampleModule : public Branches {
 public:
  DownsampleModule(int64_t in_channels, int64_t ch3, bool batch_norm);
  std::string_view type_name() const override { return "DownsampleModule"; }
  int64_t out_channels() const { return out_channels_; }

 private:
  int64_t out_channels_;
};

class Inception : public Module {
 public:
  // dropout > 0 puts a Dropout (named "dropout") between the flatten and the classifier.
  Inception(int64_t in_channels, int64_t height, int64_t width, int64_t classes, bool batch_norm,
            double dropout = 0);
  Tensor forward(const Tensor& x) override;
  std::string_view type_name() const override {
    return batch_norm_ ? "Inception" : "InceptionNoBN";
  }

  Sequential& features() const { return *features_; }

 private:
  bool batch_norm_;
  std::shared_ptr<Sequential> features_;
  std::shared_ptr<AvgPool2d> pool_;
  std::shared_ptr<Flatten> flatten_;
  std::shared_ptr<Dropout> dropout_;  // null without dropout
  std::shared_ptr<Linear> classifier_;
};

}  // namespace rethink
