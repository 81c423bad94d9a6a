// Shared by every kernel header: marks functions callable from host and device code.
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define RT_HD __host__ __device__ __forceinline__
#else
#define RT_HD inline
#endif

// cudaStream_t without the CUDA headers, so CPU-only translation units can name it.
struct CUstream_st;

namespace rethink::kernels {
using Stream = CUstream_st*;
}  // namespace rethink::kernels
