// Synthetic data: standard-normal images with labels drawn uniformly, independent of the
// images, so nothing but memorization can fit them.
#pragma once

#include <cstdint>

#include "datasets/dataset.h"

namespace rethink {

struct SyntheticShape {
  int64_t count = 0;
  int64_t channels = 0;
  int64_t height = 0;
  int64_t width = 0;
  int64_t classes = 0;
};

// Parses "N,C,H,W,K" (the part after "synthetic:"); UserError when malformed.
SyntheticShape parse_synthetic_shape(const std::string& args);

Dataset make_synthetic(const SyntheticShape& shape, uint64_t seed);

}  // namespace rethink
