// The CUDA state of each device, made on first use and kept for the life of the process: one
// stream, on which every op, copy and allocation of the device is ordered; the cuBLAS handle;
// the cuDNN handle, made only when the cuDNN engine is asked for (loading cuDNN takes a
// while); the cuSOLVER handle, made only when a dense solve asks for it. Every entry point makes the device current for the calling thread first.
#pragma once

#include "kernels/cuda/context.h"
#include "runtime/device.h"

namespace rethink {

#if RETHINK_WITH_CUDA
inline constexpr bool kBuiltWithCuda = true;
#else
inline constexpr bool kBuiltWithCuda = false;
#endif

// The device's stream. The first call for a device checks that this build has code for it
// and throws UserError naming the device and the fix when it does not.
kernels::Stream cuda_stream(Device device);

// The stream and cuBLAS handle, with compute_settings()'s math mode.
kernels::cuda::Context cuda_context(Device device);
// The same, with the cuDNN handle (made on first use).
kernels::cuda::Context cudnn_context(Device device);
// The stream and cuBLAS handle with the cuSOLVER handle (made on first use), for dense solves.
kernels::cuda::Context solver_context(Device device);

// Waits for everything queued on the device's stream.
void synchronize(Device device);

// The error every CUDA path of a build without CUDA gives.
[[noreturn]] void throw_built_without_cuda();

}  // namespace rethink
