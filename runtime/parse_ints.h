// Comma-separated integer lists in flag values ("512,3,28,28,10").
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace rethink {

// The integers of "a,b,c", or nothing when the text is empty or anything but integers and
// single commas.
std::optional<std::vector<int64_t>> parse_int_list(std::string_view text);

}  // namespace rethink
