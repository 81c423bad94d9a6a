#include "kernels/blas_info.h"

#include <cblas.h>
#include <fmt/format.h>
#include <lapacke.h>

namespace rethink::kernels::cpu {

BlasInfo blas_info() {
  BlasInfo info;
  info.config = openblas_get_config();
  switch (openblas_get_parallel()) {
    case 0: info.threading = "sequential"; break;
    case 1: info.threading = "pthreads"; break;
    case 2: info.threading = "openmp"; break;
    default: info.threading = "unknown"; break;
  }
  info.threads = openblas_get_num_threads();
  lapack_int major = 0, minor = 0, patch = 0;
  LAPACKE_ilaver(&major, &minor, &patch);
  info.lapack_version = fmt::format("{}.{}.{}", major, minor, patch);
  return info;
}

void set_blas_threads(int threads) { openblas_set_num_threads(threads); }

}  // namespace rethink::kernels::cpu
