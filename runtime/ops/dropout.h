// Inverted dropout with a Philox mask keyed by (seed, step, layer, element).
#pragma once

#include <cstdint>

#include "runtime/tensor.h"

namespace rethink::ops {

// The mask's coordinates: the run's seed, the training step and the layer's id. The same key
// drops the same elements on every device and thread count, and after a resume.
struct DropoutKey {
  uint64_t seed = 0;
  uint32_t step = 0;
  uint32_t layer = 0;
};

// Training: element i (flat index) is kept iff the Philox draw
//   PhiloxStream::make(seed, RngPurpose::kDropout, step, layer).uniform(i) >= float(p)
// and kept values are scaled by 1 / (1 - p). In eval mode, or with p == 0, returns x itself.
// p must be in [0, 1). The backward recomputes the mask from the key: nothing is stored.
Tensor dropout(const Tensor& x, double p, const DropoutKey& key, bool training);

}  // namespace rethink::ops
