#include "kernels/cuda/check.h"

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>

namespace rethink::kernels::cuda {

bool sync_debug_enabled() {
  static const bool enabled = [] {
    const char* v = std::getenv("RETHINK_SYNC_DEBUG");
    return v != nullptr && std::strcmp(v, "0") != 0 && v[0] != '\0';
  }();
  return enabled;
}

void throw_cuda_error(cudaError_t status, const char* expr, const char* file, int line) {
  std::string hint;
  if (status == cudaErrorMemoryAllocation) {
    hint = "; the GPU is out of memory: lower --batch or free the device";
  } else if (status == cudaErrorNoKernelImageForDevice ||
             status == cudaErrorUnsupportedPtxVersion) {
    hint = "; this build has no code for the GPU's architecture: reconfigure with "
           "-DCMAKE_CUDA_ARCHITECTURES=<its compute capability>";
  } else if (!sync_debug_enabled()) {
    hint = "; rerun with RETHINK_SYNC_DEBUG=1 to find the launch that failed";
  }
  detail::throw_located(file, line,
                        fmt::format("CUDA call {} failed: {} ({}){}", expr,
                                    cudaGetErrorString(status), cudaGetErrorName(status), hint));
}

}  // namespace rethink::kernels::cuda
