// The check a windowed layer (Conv2d, MaxPool2d, AvgPool2d) makes before it runs: images too
// small for its window are the input's fault, not the program's, so they are a UserError
// (exit status 2), which run_layer prefixes with the layer's name and the input's shape.
#pragma once

#include <fmt/format.h>

#include <cstdint>

#include "kernels/window2d.h"
#include "runtime/tensor.h"

namespace rethink {

// x is NHWC; `pad` is what the window adds per side (zero for VALID; SAME always fits).
inline void require_window_fits(const Tensor& x, int64_t kernel, const kernels::Padding2d& pad) {
  if (x.rank() != 4) return;  // the op names a wrong rank itself
  const int64_t h = x.size(1), w = x.size(2);
  if (h + pad.top + pad.bottom >= kernel && w + pad.left + pad.right >= kernel) return;
  const bool padded = !(pad == kernels::Padding2d{});
  throw UserError(fmt::format(
      "its {}x{} window does not fit the {}x{} images that reach it{}: the spatial size runs "
      "out here, so the model needs larger input images",
      kernel, kernel, h, w,
      padded ? fmt::format(" (padded by top {}, bottom {}, left {}, right {})", pad.top, pad.bottom,
                           pad.left, pad.right)
             : std::string(" (VALID: no padding)")));
}

}  // namespace rethink
