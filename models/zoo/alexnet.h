// The paper's small AlexNet (PAPER.md 4.2): the TensorFlow CIFAR-10 tutorial's model in the
// paper's block order, conv -> relu -> pool -> LRN twice, then FC 384, FC 192 and the classifier.
// NHWC activations; 5x5 convs with 64 filters and biases, 3x3 stride-2 max-pools, all with TF
// SAME padding; LRN is tf.nn.lrn(depth_radius 4, bias 1, alpha 0.001 / 9, beta 0.75), which is
// PyTorch's LocalResponseNorm(size 9, alpha 0.001, beta 0.75, k 1). The flatten is in (h, w, c)
// order (PyTorch: x.permute(0, 2, 3, 1).flatten(1)). Initialization is the tutorial's truncated
// normals (2 standard deviations): conv std 5e-2 with bias 0 (conv1) and 0.1 (conv2); FC 384 and
// 192 std 0.04, bias 0.1; classifier std 1/192, bias 0.
//
//   features.0  Conv2d 5x5, 64     28x28x64       features.4  Conv2d 5x5, 64     14x14x64
//   features.1  ReLU                              features.5  ReLU
//   features.2  MaxPool2d 3x3/2    14x14x64       features.6  MaxPool2d 3x3/2    7x7x64
//   features.3  Lrn                               features.7  Lrn
//   flatten     3136
//   hidden.0    Linear(3136, 384), hidden.1 ReLU, hidden.2 Linear(384, 192), hidden.3 ReLU
//   dropout     (only with dropout > 0)
//   classifier  Linear(192, classes)
//
// Parameters on 28x28x3 with 10 classes (1,387,786), in order; conv weights in PyTorch's OIHW
// (held OHWI), Linear weights (out, in):
//   features.0.weight  [64, 3, 5, 5]
//   features.0.bias    [64]
//   features.4.weight  [64, 64, 5, 5]
//   features.4.bias    [64]
//   hidden.0.weight    [384, 3136]
//   hidden.0.bias      [384]
//   hidden.2.weight    [192, 384]
//   hidden.2.bias      [192]
//   classifier.weight  [10, 192]
//   classifier.bias    [10]
// hidden.0's input is 64 * ceil(ceil(H / 2) / 2) * ceil(ceil(W / 2) / 2), so the count follows
// the image size; any size works (SAME padding never runs out).
#pragma once

#include <cstdint>
#include <memory>

#include "models/layers/dropout.h"
#include "models/layers/flatten.h"
#include "models/layers/linear.h"
#include "models/module.h"

namespace rethink {

class AlexNet : public Module {
 public:
  // dropout > 0 puts a Dropout (named "dropout") between hidden and the classifier.
  AlexNet(int64_t in_channels, int64_t height, int64_t width, int64_t classes, double dropout = 0);
  Tensor forward(const Tensor& x) override;
  std::string_view type_name() const override { return "AlexNet"; }

  Sequential& features() const { return *features_; }

 private:
  std::shared_ptr<Sequential> features_;
  std::shared_ptr<Flatten> flatten_;
  std::shared_ptr<Sequential> hidden_;
  std::shared_ptr<Dropout> dropout_;  // null without dropout
  std::shared_ptr<Linear> classifier_;
};

}  // namespace rethink
