// Checks for cuSOLVER calls, as RT_CUBLAS_CHECK does for cuBLAS: a failure throws
// rethink::Error naming the status, the expression, file and line; RETHINK_SYNC_DEBUG=1 also
// synchronizes after every successful call.
#pragma once

#include <cusolverDn.h>

#include "kernels/cuda/check.h"

namespace rethink::kernels::cuda {

[[noreturn]] void throw_cusolver_error(cusolverStatus_t status, const char* expr, const char* file,
                                       int line);

inline void check_cusolver(cusolverStatus_t status, const char* expr, const char* file, int line) {
  if (status != CUSOLVER_STATUS_SUCCESS) [[unlikely]]
    throw_cusolver_error(status, expr, file, line);
  if (sync_debug_enabled()) check_cuda(cudaDeviceSynchronize(), expr, file, line);
}

}  // namespace rethink::kernels::cuda

#define RT_CUSOLVER_CHECK(expr) \
  ::rethink::kernels::cuda::check_cusolver((expr), #expr, __FILE__, __LINE__)
