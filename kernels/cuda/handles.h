// Creating the per-device objects the CUDA entry points run with: a stream, the cuBLAS, cuDNN
// and cuSOLVER handles, and the check that this build has machine code for a device. The runtime
// (runtime/cuda_context.h) calls these once per device and keeps the results.
#pragma once

#include <string>

#include "kernels/cuda/context.h"

namespace rethink::kernels::cuda {

// The compute capabilities this build has code for, as CMake was given them ("80,90").
std::string compiled_architectures();

// Empty when kernels of this build run on `device`; otherwise why not, in words that name the
// device, its compute capability and the fix. Launches nothing (it asks the runtime for a
// kernel's attributes) and leaves the current device as it found it.
std::string device_unsupported_reason(int device);

// A stream on `device` that orders with the legacy default stream (the one cudaMemcpy and a
// null stream use), so work queued either way stays in order.
Stream create_stream(int device);

// Library handles bound to `stream` on `device`. They throw rethink::Error naming the library
// and its status when the library cannot start (no driver, out of memory, missing library).
cublasContext* create_blas_handle(int device, Stream stream);
cudnnContext* create_dnn_handle(int device, Stream stream);
cusolverDnContext* create_solver_handle(int device, Stream stream);

}  // namespace rethink::kernels::cuda
