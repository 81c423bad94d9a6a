// What the CUDA entry points that call a library (GEMM, convolution, dense solves) take: the stream to run
// on, the device's library handles and the math mode. The runtime owns the handles (one set
// per device, runtime/cuda_context.h); kernels only borrow them. Element-wise kernels take a
// bare Stream.
//
// No CUDA header is needed to name these types, so CPU-only translation units can include it.
#pragma once

#include <cstdint>

#include "kernels/hd.h"

// The structs behind cublasHandle_t, cudnnHandle_t and cusolverDnHandle_t.
struct cublasContext;
struct cudnnContext;
struct cusolverDnContext;

namespace rethink::kernels {

// How float32 matrix products may round. kFp32: IEEE float32 throughout (the default, fidelity
// to the paper). kTf32: the tensor cores' TF32 inputs (10-bit mantissa) with float32
// accumulation, several times faster on Ampere and later; cuBLAS and cuDNN honour it, float64
// products ignore it.
enum class MathMode : uint8_t { kFp32, kTf32 };

namespace cuda {

struct Context {
  Stream stream = nullptr;
  cublasContext* blas = nullptr;  // cublasHandle_t
  cudnnContext* dnn = nullptr;    // cudnnHandle_t; null unless the cuDNN engine was asked for
  MathMode math = MathMode::kFp32;
  cusolverDnContext* solver = nullptr;  // cusolverDnHandle_t; made by solver_context only
};

}  // namespace cuda
}  // namespace rethink::kernels
