// The facts about this build and machine that `rethink info` prints and every run records.
#pragma once

#include <nlohmann/json.hpp>

namespace rethink {

// {"build": {...}, "cuda": {...}, "blas": {...}, "threads": N, "cores": N, "gpus": {...}}
nlohmann::json system_info();

}  // namespace rethink
