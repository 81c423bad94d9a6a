// What the readers produce: plain byte arrays, no Tensor, so that the fuzz targets link the
// readers alone (tests/fuzz builds them with clang and sanitizers, apart from the rest).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rethink::readers {

// uint8 images, NHWC, exactly as stored on disk.
struct RawImages {
  int64_t count = 0;
  int64_t height = 0;
  int64_t width = 0;
  int64_t channels = 0;
  std::vector<uint8_t> pixels;  // count * height * width * channels
  int64_t image_bytes() const { return height * width * channels; }
};

struct RawSplit {
  RawImages images;
  std::vector<int32_t> labels;  // one per image, in [0, classes)
};

struct RawDataset {
  RawSplit train;
  RawSplit test;
  int64_t classes = 0;
  std::vector<std::string> class_names;  // empty when the format has none
};

}  // namespace rethink::readers
