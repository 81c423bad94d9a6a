// Checks for cuDNN calls: a failure throws rethink::Error naming the status, the expression,
// file and line; RETHINK_SYNC_DEBUG=1 also synchronizes after every successful call.
#pragma once

#include <cudnn.h>

#include "kernels/cuda/check.h"

namespace rethink::kernels::cudnn {

[[noreturn]] void throw_cudnn_error(cudnnStatus_t status, const char* expr, const char* file,
                                    int line);

inline void check_cudnn(cudnnStatus_t status, const char* expr, const char* file, int line) {
  if (status != CUDNN_STATUS_SUCCESS) [[unlikely]]
    throw_cudnn_error(status, expr, file, line);
  if (cuda::sync_debug_enabled()) cuda::check_cuda(cudaDeviceSynchronize(), expr, file, line);
}

}  // namespace rethink::kernels::cudnn

#define RT_CUDNN_CHECK(expr) \
  ::rethink::kernels::cudnn::check_cudnn((expr), #expr, __FILE__, __LINE__)
