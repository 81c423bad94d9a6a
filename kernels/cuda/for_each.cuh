// cuda::for_each launches an index-mapped kernel body (the functor cpu::for_each runs) as a
// grid-stride loop on the given stream.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/cuda/check.h"
#include "kernels/hd.h"

namespace rethink::kernels::cuda {

template <class F>
__global__ void for_each_kernel(int64_t n, F f) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    f(i);
  }
}

inline constexpr int kForEachBlock = 256;
// Enough blocks to fill any current GPU; the grid-stride loop covers the rest.
inline constexpr int64_t kForEachMaxBlocks = 65536;

template <class F>
void for_each(int64_t n, const F& f, Stream stream) {
  if (n <= 0) return;
  const int64_t blocks = std::min<int64_t>((n + kForEachBlock - 1) / kForEachBlock,
                                           kForEachMaxBlocks);
  for_each_kernel<<<static_cast<unsigned>(blocks), kForEachBlock, 0,
                    reinterpret_cast<cudaStream_t>(stream)>>>(n, f);
  RT_CUDA_CHECK_LAUNCH();
}

}  // namespace rethink::kernels::cuda
