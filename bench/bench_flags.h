// Flags of the benchmark binaries' own, taken out of argv before benchmark::Initialize (which
// rejects flags it does not know), and the parsing they share. A bad value throws UserError
// naming the flag; main() prints it and exits 2.
#pragma once

#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/error.h"

namespace rethink::bench {

// Calls take(name, value) for every "--name=value" and "--name" argument; those it accepts
// (returns true) leave argv, the rest stay, in order, for Google Benchmark. `value` is empty
// for a bare "--name".
template <class F>
void take_flags(int* argc, char** argv, F&& take) {
  int kept = 1;
  for (int i = 1; i < *argc; ++i) {
    const std::string_view arg = argv[i];
    bool taken = false;
    if (arg.starts_with("--")) {
      const size_t eq = arg.find('=');
      const std::string_view name = arg.substr(2, eq == std::string_view::npos ? eq : eq - 2);
      const std::string_view value =
          eq == std::string_view::npos ? std::string_view() : arg.substr(eq + 1);
      taken = take(name, value);
    }
    if (!taken) argv[kept++] = argv[i];
  }
  *argc = kept;
  argv[kept] = nullptr;
}

// A whole number >= min, or UserError naming `what`.
inline int64_t parse_count(std::string_view text, std::string_view what, int64_t min) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value < min) {
    throw UserError(fmt::format("{} '{}': give a whole number >= {}", what, text, min));
  }
  return value;
}

// "a,b,,c" -> {"a", "b", "c"}.
inline std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

// RETHINK_THREADS, else 0 (every core): the default of every benchmark's --threads.
inline int threads_from_environment() {
  const char* env = std::getenv("RETHINK_THREADS");
  if (env == nullptr || *env == '\0') return 0;
  return static_cast<int>(parse_count(env, "RETHINK_THREADS", 0));
}

}  // namespace rethink::bench
