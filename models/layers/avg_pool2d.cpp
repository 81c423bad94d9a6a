#include "models/layers/avg_pool2d.h"

#include "models/layers/window_fit.h"
#include "runtime/ops/avg_pool2d.h"

namespace rethink {

AvgPool2d::AvgPool2d(int64_t kernel, int64_t stride, kernels::PaddingMode padding)
    : options_{kernel, stride, padding} {
  RT_CHECK(kernel > 0 && stride > 0, "AvgPool2d(kernel {}, stride {}): both must be positive",
           kernel, stride);
}

Tensor AvgPool2d::forward(const Tensor& x) {
  return run_layer(x, [&] {
    if (options_.padding == kernels::PaddingMode::kValid) {
      require_window_fits(x, options_.kernel, {});
    }
    return ops::avg_pool2d(x, options_);
  });
}

}  // namespace rethink
