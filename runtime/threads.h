// One thread count for OpenMP and OpenBLAS together.
#pragma once

namespace rethink {

// Sets the CPU thread count; requested <= 0 means all cores. Returns the count in use.
int set_thread_count(int requested);
int thread_count();
int available_cores();

}  // namespace rethink
