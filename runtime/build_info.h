// How this binary was built: what `rethink info` prints and every run's config.json records.
#pragma once

#include <string>

namespace rethink {

struct BuildInfo {
  std::string version;
  std::string commit;  // git at configure time; "unknown" outside a checkout
  std::string build_type;
  std::string compiler;
  std::string cxx_flags;
  bool cuda = false;
  std::string cuda_architectures;
  std::string cuda_compiler;
};

const BuildInfo& build_info();

}  // namespace rethink
