// The facts about this build and machine that `rethink info` prints and every run records.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>

namespace rethink {

// {"build": {...}, "cuda": {...}, "blas": {...}, "cpu_conv2d": "...", "threads": N, "cores": N,
//  "gpus": {...}}
nlohmann::json system_info();

// Bytes of memory the kernel says a new allocation can get without swapping (MemAvailable in
// /proc/meminfo); -1 when it cannot be read.
int64_t available_host_memory_bytes();

}  // namespace rethink
