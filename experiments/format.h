// Number formatting for people: 1209866 -> "1,209,866", as the paper prints counts.
#pragma once

#include <cstdint>
#include <string>

namespace rethink {

std::string with_thousands(int64_t value);

}  // namespace rethink
