#include "kernels/error.h"

#include <fmt/format.h>

#include <cstring>

namespace rethink::detail {

void throw_located(const char* file, int line, const std::string& message) {
  // Name the file relative to the source tree: shorter, and the same on every machine.
  const char* shown = file;
  for (const char* folder : {"/kernels/", "/runtime/", "/models/", "/datasets/", "/experiments/"}) {
    if (const char* p = std::strstr(file, folder)) {
      shown = p + 1;
      break;
    }
  }
  throw Error(fmt::format("{} ({}:{})", message, shown, line));
}

}  // namespace rethink::detail
