#include "datasets/augment.h"

#include <fmt/format.h>

#include <vector>

#include "kernels/error.h"

namespace rethink {

AugmentOptions parse_augment(std::string_view text) {
  AugmentOptions a;
  if (text == "none") return a;
  size_t begin = 0;
  while (true) {
    const size_t comma = text.find(',', begin);
    const std::string_view part = text.substr(
        begin, comma == std::string_view::npos ? std::string_view::npos : comma - begin);
    if (part == "crop") {
      a.crop = true;
    } else if (part == "flip") {
      a.flip = true;
    } else if (part == "color") {
      a.brightness = a.contrast = true;
    } else if (part == "brightness") {
      a.brightness = true;
    } else if (part == "contrast") {
      a.contrast = true;
    } else if (part == "rotate") {
      a.rotate = true;
    } else {
      throw UserError(
          fmt::format("--augment '{}': '{}' is not an augmentation; use none, or a "
                      "comma-separated list of crop, flip, color, brightness, "
                      "contrast, rotate",
                      text, part));
    }
    if (comma == std::string_view::npos) break;
    begin = comma + 1;
  }
  return a;
}

std::string augment_name(const AugmentOptions& a) {
  std::vector<std::string_view> parts;
  if (a.crop) parts.push_back("crop");
  if (a.flip) parts.push_back("flip");
  if (a.brightness) parts.push_back("brightness");
  if (a.contrast) parts.push_back("contrast");
  if (a.rotate) parts.push_back("rotate");
  return parts.empty() ? "none" : fmt::format("{}", fmt::join(parts, ","));
}

kernels::PhiloxStream augment_stream(uint64_t seed, int64_t epoch) {
  return kernels::PhiloxStream::make(seed, kernels::RngPurpose::kAugment,
                                     static_cast<uint32_t>(epoch));
}

AugmentDraw augment_draw(const AugmentOptions& options, const kernels::TransformShape& shape,
                         uint64_t seed, int64_t epoch, int64_t index) {
  return kernels::draw_image(options, shape, augment_stream(seed, epoch),
                             static_cast<int32_t>(index));
}

}  // namespace rethink
