// JPEG (libjpeg-turbo) and PNG (libpng) decoding to 8-bit HWC pixels: 1 channel for grayscale
// images, 3 (RGB) for everything else; alpha is dropped, 16-bit samples are reduced to 8.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace rethink::readers {

// Larger images are refused before any pixel is decoded: a corrupt header must not become a
// huge allocation, and no image data set rethink trains on comes near it.
inline constexpr int64_t kMaxImagePixels = int64_t{1} << 26;

struct DecodedImage {
  int64_t height = 0;
  int64_t width = 0;
  int64_t channels = 0;
  std::vector<uint8_t> pixels;  // height * width * channels
};

// Decodes a JPEG or PNG file's bytes (told apart by their signatures, not the file name).
// Anything undecodable, truncated or corrupt, or larger than `max_pixels`, is a UserError
// naming `name`; libjpeg's warnings (corrupt data it would paper over) count as errors.
DecodedImage decode_image(std::span<const uint8_t> bytes, const std::string& name,
                          int64_t max_pixels = kMaxImagePixels);

}  // namespace rethink::readers
