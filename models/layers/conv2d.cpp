#include "models/layers/conv2d.h"

#include "models/layers/window_fit.h"
#include "runtime/ops/conv2d.h"

namespace rethink {

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride,
               kernels::PaddingMode padding, bool bias)
    : in_channels_(in_channels),
      out_channels_(out_channels),
      kernel_(kernel),
      stride_(stride),
      padding_(padding) {
  RT_CHECK(in_channels > 0 && out_channels > 0 && kernel > 0 && stride > 0,
           "Conv2d({}, {}, kernel {}, stride {}): channels, kernel and stride must be positive",
           in_channels, out_channels, kernel, stride);
  weight_ = add_parameter("weight", Tensor::zeros(Shape{out_channels, kernel, kernel, in_channels}),
                          /*decay=*/true, ExportLayout::kOhwi);
  if (bias) bias_ = add_parameter("bias", Tensor::zeros(Shape{out_channels}), /*decay=*/false);
}

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride,
               const kernels::Padding2d& padding, bool bias)
    : Conv2d(in_channels, out_channels, kernel, stride, kernels::PaddingMode::kValid, bias) {
  RT_CHECK(padding.top >= 0 && padding.bottom >= 0 && padding.left >= 0 && padding.right >= 0,
           "Conv2d({}, {}, kernel {}): padding (top {}, bottom {}, left {}, right {}) must be "
           ">= 0",
           in_channels, out_channels, kernel, padding.top, padding.bottom, padding.left,
           padding.right);
  explicit_padding_ = padding;
}

Tensor Conv2d::forward(const Tensor& x) {
  return run_layer(x, [&] {
    if (explicit_padding_) {
      require_window_fits(x, kernel_, *explicit_padding_);
    } else if (padding_ == kernels::PaddingMode::kValid) {
      require_window_fits(x, kernel_, {});
    }
    return ops::conv2d(x, weight_, bias_, {stride_, padding_, explicit_padding_});
  });
}

int64_t Conv2d::macs(const Shape& input, const Shape& output) const {
  (void)input;
  // Every output element is one dot product over a k x k x in_c window (padding included, as
  // the usual counts have it).
  return output.numel() * kernel_ * kernel_ * in_channels_;
}

void Conv2d::init_parameters(Initializer& init) {
  const int64_t window = kernel_ * kernel_;
  init_.apply(weight_, bias_, window * in_channels_, window * out_channels_, init.next_stream());
}

}  // namespace rethink
