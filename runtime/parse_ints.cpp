#include "runtime/parse_ints.h"

#include <charconv>

namespace rethink {

std::optional<std::vector<int64_t>> parse_int_list(std::string_view text) {
  std::vector<int64_t> values;
  const char* p = text.data();
  const char* end = p + text.size();
  while (true) {
    int64_t value = 0;
    const auto [next, ec] = std::from_chars(p, end, value);
    if (ec != std::errc()) return std::nullopt;
    values.push_back(value);
    if (next == end) return values;
    if (*next != ',') return std::nullopt;
    p = next + 1;
  }
}

}  // namespace rethink
