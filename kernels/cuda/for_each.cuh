// cuda::for_each launches an index-mapped kernel body (the functor cpu::for_each runs) as a
// grid-stride loop on the given stream; cuda::for_each_2d calls a row-structured body's
// at(row, col), as cpu::for_each_2d does, with no division per element.
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

// Rows along the grid's y dimension, columns along x; both grid-stride.
template <class F>
__global__ void for_each_2d_kernel(int64_t rows, int64_t cols, F f) {
  const int64_t col_stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t r = blockIdx.y; r < rows; r += gridDim.y) {
    for (int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; c < cols;
         c += col_stride) {
      f.at(r, c);
    }
  }
}

// The grid's y limit.
inline constexpr int64_t kForEachMaxRowBlocks = 65535;

template <class F>
void for_each_2d(int64_t rows, int64_t cols, const F& f, Stream stream) {
  if (rows <= 0 || cols <= 0) return;
  const int64_t col_blocks = std::min<int64_t>((cols + kForEachBlock - 1) / kForEachBlock,
                                               kForEachMaxBlocks);
  const dim3 grid(static_cast<unsigned>(col_blocks),
                  static_cast<unsigned>(std::min(rows, kForEachMaxRowBlocks)));
  for_each_2d_kernel<<<grid, kForEachBlock, 0, reinterpret_cast<cudaStream_t>(stream)>>>(rows,
                                                                                        cols, f);
  RT_CUDA_CHECK_LAUNCH();
}

}  // namespace rethink::kernels::cuda
