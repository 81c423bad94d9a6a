// Number formatting for people: 1209866 -> "1,209,866", as the paper prints counts.
#pragma once

#include <cstdint>
#include <string>

namespace rethink {

std::string with_thousands(int64_t value);

// The current UTC time through strftime's `format`, e.g. "%Y%m%d-%H%M%S" for run names.
std::string utc_time_string(const char* format);

}  // namespace rethink
