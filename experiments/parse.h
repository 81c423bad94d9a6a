// Parsers for composite flag values; each throws UserError naming the flag and the form.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rethink {

struct ImageShape {
  int64_t channels = 0;
  int64_t height = 0;
  int64_t width = 0;
};

// "C,H,W", each positive.
ImageShape parse_image_shape(const std::string& text, std::string_view flag);

}  // namespace rethink
