// What the CPU linear-algebra libraries are and how they thread.
#pragma once

#include <string>

namespace rethink::kernels::cpu {

struct BlasInfo {
  std::string config;     // openblas_get_config(): version, target, threading
  std::string threading;  // "openmp", "pthreads" or "sequential"
  int threads = 0;        // openblas_get_num_threads()
  std::string lapack_version;  // LAPACK's own version, read through LAPACKE
};

BlasInfo blas_info();

// OpenBLAS keeps its own thread count: set it with OpenMP's so both use the same cores.
void set_blas_threads(int threads);

}  // namespace rethink::kernels::cpu
