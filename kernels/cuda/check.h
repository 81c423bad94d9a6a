// Checks for CUDA runtime, cuBLAS and cuDNN calls: a failure throws rethink::Error naming the
// failing expression, file and line. With RETHINK_SYNC_DEBUG=1 every check also synchronizes
// the device, so an asynchronous fault is reported at the launch that caused it.
#pragma once

#include <cuda_runtime_api.h>

#include "kernels/error.h"
#include "kernels/launch_counter.h"

namespace rethink::kernels::cuda {

bool sync_debug_enabled();

[[noreturn]] void throw_cuda_error(cudaError_t status, const char* expr, const char* file,
                                   int line);

inline void check_cuda(cudaError_t status, const char* expr, const char* file, int line) {
  if (status == cudaSuccess && sync_debug_enabled()) status = cudaDeviceSynchronize();
  if (status != cudaSuccess) [[unlikely]] throw_cuda_error(status, expr, file, line);
}

}  // namespace rethink::kernels::cuda

#define RT_CUDA_CHECK(expr) ::rethink::kernels::cuda::check_cuda((expr), #expr, __FILE__, __LINE__)

// After a kernel launch: counts it (kernels/launch_counter.h) and reports a bad launch
// configuration (and, in sync-debug mode, a fault).
#define RT_CUDA_CHECK_LAUNCH()                 \
  do {                                         \
    ::rethink::kernels::count_device_launch(); \
    RT_CUDA_CHECK(cudaGetLastError());         \
  } while (false)
