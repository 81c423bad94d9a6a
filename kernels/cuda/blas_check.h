// Checks for cuBLAS calls, as RT_CUDA_CHECK does for the runtime: a failure throws
// rethink::Error naming the status, the expression, file and line; RETHINK_SYNC_DEBUG=1 also
// synchronizes after every successful call.
#pragma once

#include <cublas_v2.h>

#include "kernels/cuda/check.h"

namespace rethink::kernels::cuda {

[[noreturn]] void throw_cublas_error(cublasStatus_t status, const char* expr, const char* file,
                                     int line);

inline void check_cublas(cublasStatus_t status, const char* expr, const char* file, int line) {
  if (status != CUBLAS_STATUS_SUCCESS) [[unlikely]]
    throw_cublas_error(status, expr, file, line);
  if (sync_debug_enabled()) check_cuda(cudaDeviceSynchronize(), expr, file, line);
}

}  // namespace rethink::kernels::cuda

#define RT_CUBLAS_CHECK(expr) \
  ::rethink::kernels::cuda::check_cublas((expr), #expr, __FILE__, __LINE__)
