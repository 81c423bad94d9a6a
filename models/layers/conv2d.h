// 2-D convolution layer over NHWC activations: weight [out_c, k, k, in_c] (OHWI, the runtime's
// layout; PyTorch's OIHW on export, see ExportLayout::kOhwi), optional bias [out_c].
// Glorot-uniform weights with TensorFlow's fans (k*k*in_c, k*k*out_c) and zero bias unless
// set_init says otherwise.
//
// Padding is SAME (TensorFlow's: at stride 2 on an even size the extra row and column go
// bottom and right), VALID, or explicit zero padding per side (PyTorch's padding=1 is
// {1, 1, 1, 1}).
#pragma once

#include <optional>

#include "kernels/window2d.h"
#include "models/init.h"
#include "models/module.h"

namespace rethink {

class Conv2d : public Module {
 public:
  Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride = 1,
         kernels::PaddingMode padding = kernels::PaddingMode::kSame, bool bias = true);
  Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride,
         const kernels::Padding2d& padding, bool bias = true);
  Tensor forward(const Tensor& x) override;
  std::string_view type_name() const override { return "Conv2d"; }
  int64_t macs(const Shape& input, const Shape& output) const override;

  // Takes effect at the next Module::initialize.
  Conv2d& set_init(const WeightInit& init) {
    init_ = init;
    return *this;
  }

  int64_t in_channels() const { return in_channels_; }
  int64_t out_channels() const { return out_channels_; }
  int64_t kernel() const { return kernel_; }
  int64_t stride() const { return stride_; }
  kernels::PaddingMode padding() const { return padding_; }
  // Set when the layer pads explicitly (then padding() is not used).
  const std::optional<kernels::Padding2d>& explicit_padding() const { return explicit_padding_; }
  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }

 protected:
  void init_parameters(Initializer& init) override;

 private:
  int64_t in_channels_;
  int64_t out_channels_;
  int64_t kernel_;
  int64_t stride_;
  kernels::PaddingMode padding_;
  std::optional<kernels::Padding2d> explicit_padding_;
  WeightInit init_;
  Tensor weight_;
  Tensor bias_;
};

}  // namespace rethink
