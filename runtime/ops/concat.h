// Concatenation along the last dimension: the channels of NHWC activations (Inception's
// branches), or the features of [batch, features] rows.
#pragma once

#include <vector>

#include "runtime/tensor.h"

namespace rethink::ops {

// One or more tensors of rank >= 1, equal in every dimension but the last, of one floating
// dtype on one device. The output's last dimension holds xs[0]'s entries, then xs[1]'s, ...
// (PyTorch's torch.cat(dim=1) on NCHW, in NHWC).
Tensor concat_channels(const std::vector<Tensor>& xs);

}  // namespace rethink::ops
