// Deterministic sums on the GPU, in double, without atomics: the input is cut into chunks by
// its shape alone, one block reduces each chunk in a fixed order (each thread a fixed strided
// run, then a fixed shared-memory tree), and a second launch adds the chunks' partial sums in
// chunk order. The same input therefore gives the same bits on every run and every GPU of the
// same architecture, whatever the scheduling.
//
// Two shapes of reduction:
//   column_reduce<W>  per-column sums over the rows of a row-major [rows, cols] view, W values
//                     per element (batch-norm statistics, bias gradients);
//   flat_reduce       one sum over n values (the mean loss, the accuracy count).
// A `finish` functor receives the totals on the device and writes what the op wants (a mean,
// a cast, an addition into a gradient), so no total needs a trip through memory of its own.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/cuda/check.h"
#include "kernels/hd.h"

namespace rethink::kernels::cuda {

// Rows per chunk of column_reduce: a block of 32 columns x 8 row lanes walks 256 rows, 32 per
// lane, so a BN batch of 128 x 28 x 28 pixels still spreads over hundreds of blocks. Beyond
// kMaxColumnChunks chunks (the grid's y limit) the chunks grow by a whole factor instead; the
// cut still depends on the shape alone.
inline constexpr int64_t kColumnChunkRows = 256;
inline constexpr int64_t kMaxColumnChunks = 65535;
inline constexpr int kColumnLanes = 8;
// Elements per chunk of flat_reduce (kFlatThreads threads, 16 strided values each).
inline constexpr int kFlatThreads = 256;
inline constexpr int64_t kFlatChunk = 4096;

inline int64_t column_chunk_rows(int64_t rows) {
  const int64_t chunks = (rows + kColumnChunkRows - 1) / kColumnChunkRows;
  return kColumnChunkRows *
         std::max<int64_t>(1, (chunks + kMaxColumnChunks - 1) / kMaxColumnChunks);
}
inline int64_t column_chunks(int64_t rows) {
  const int64_t per_chunk = column_chunk_rows(rows);
  return (rows + per_chunk - 1) / per_chunk;
}
// Doubles of partial sums column_reduce<W> needs as workspace.
inline int64_t column_reduce_workspace(int64_t rows, int64_t cols, int width) {
  return std::max<int64_t>(column_chunks(rows), 1) * width * cols;
}
inline int64_t flat_chunks(int64_t n) { return (n + kFlatChunk - 1) / kFlatChunk; }
inline int64_t flat_reduce_workspace(int64_t n) { return std::max<int64_t>(flat_chunks(n), 1); }

// value(r, c, v) writes the W values element (r, c) contributes; partial[(chunk * W + w) *
// cols + c] receives the chunk's sum of value w.
template <int W, class Value>
__global__ void column_partials_kernel(int64_t rows, int64_t cols, int64_t chunk_rows, Value value,
                                       double* partial) {
  __shared__ double lanes[W][kColumnLanes][32];
  const int tx = static_cast<int>(threadIdx.x), ty = static_cast<int>(threadIdx.y);
  const int64_t c = static_cast<int64_t>(blockIdx.x) * 32 + tx;
  const int64_t chunk = blockIdx.y;
  const int64_t r0 = chunk * chunk_rows;
  const int64_t r1 = r0 + chunk_rows < rows ? r0 + chunk_rows : rows;
  double acc[W];
  for (int w = 0; w < W; ++w) acc[w] = 0;
  if (c < cols) {
    for (int64_t r = r0 + ty; r < r1; r += kColumnLanes) {
      double v[W];
      value(r, c, v);
      for (int w = 0; w < W; ++w) acc[w] += v[w];
    }
  }
  for (int w = 0; w < W; ++w) lanes[w][ty][tx] = acc[w];
  __syncthreads();
  if (ty == 0 && c < cols) {
    for (int w = 0; w < W; ++w) {
      double t = lanes[w][0][tx];
      for (int k = 1; k < kColumnLanes; ++k) t += lanes[w][k][tx];
      partial[(chunk * W + w) * cols + c] = t;
    }
  }
}

// finish(c, totals) with totals[w] the sum over every chunk, added in chunk order.
template <int W, class Finish>
__global__ void column_totals_kernel(int64_t cols, int64_t chunks, const double* partial,
                                     Finish finish) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; c < cols;
       c += stride) {
    double totals[W];
    for (int w = 0; w < W; ++w) {
      double t = 0;
      for (int64_t k = 0; k < chunks; ++k) t += partial[(k * W + w) * cols + c];
      totals[w] = t;
    }
    finish(c, totals);
  }
}

// Per-column sums of W values over rows; `partial` holds column_reduce_workspace(rows, cols, W)
// doubles. With no rows every total is 0 (finish still runs).
template <int W, class Value, class Finish>
void column_reduce(int64_t rows, int64_t cols, const Value& value, const Finish& finish,
                   double* partial, Stream stream) {
  if (cols <= 0) return;
  const auto s = reinterpret_cast<cudaStream_t>(stream);
  const int64_t chunks = column_chunks(rows);
  if (chunks > 0) {
    const dim3 grid(static_cast<unsigned>((cols + 31) / 32), static_cast<unsigned>(chunks));
    column_partials_kernel<W><<<grid, dim3(32, kColumnLanes), 0, s>>>(
        rows, cols, column_chunk_rows(rows), value, partial);
    RT_CUDA_CHECK_LAUNCH();
  }
  const int64_t blocks = std::min<int64_t>((cols + 255) / 256, 4096);
  column_totals_kernel<W>
      <<<static_cast<unsigned>(blocks), 256, 0, s>>>(cols, chunks, partial, finish);
  RT_CUDA_CHECK_LAUNCH();
}

// The fixed tree over one block's kFlatThreads values in shared memory; returns the sum in
// thread 0.
__device__ inline double block_tree_sum(double* shared, double mine) {
  const int t = static_cast<int>(threadIdx.x);
  shared[t] = mine;
  __syncthreads();
  for (int half = kFlatThreads / 2; half > 0; half /= 2) {
    if (t < half) shared[t] += shared[t + half];
    __syncthreads();
  }
  return shared[0];
}

template <class Value>
__global__ void flat_partials_kernel(int64_t n, Value value, double* partial) {
  __shared__ double shared[kFlatThreads];
  const int64_t begin = static_cast<int64_t>(blockIdx.x) * kFlatChunk;
  const int64_t end = begin + kFlatChunk < n ? begin + kFlatChunk : n;
  double acc = 0;
  for (int64_t i = begin + threadIdx.x; i < end; i += kFlatThreads) acc += value(i);
  const double total = block_tree_sum(shared, acc);
  if (threadIdx.x == 0) partial[blockIdx.x] = total;
}

template <class Finish>
__global__ void flat_total_kernel(int64_t chunks, const double* partial, Finish finish) {
  __shared__ double shared[kFlatThreads];
  double acc = 0;
  for (int64_t k = threadIdx.x; k < chunks; k += kFlatThreads) acc += partial[k];
  const double total = block_tree_sum(shared, acc);
  if (threadIdx.x == 0) finish(total);
}

// finish(sum of value(i) for i in [0, n)); `partial` holds flat_reduce_workspace(n) doubles.
template <class Value, class Finish>
void flat_reduce(int64_t n, const Value& value, const Finish& finish, double* partial,
                 Stream stream) {
  const auto s = reinterpret_cast<cudaStream_t>(stream);
  const int64_t chunks = n > 0 ? flat_chunks(n) : 0;
  if (chunks > 0) {
    flat_partials_kernel<<<static_cast<unsigned>(chunks), kFlatThreads, 0, s>>>(n, value, partial);
    RT_CUDA_CHECK_LAUNCH();
  }
  flat_total_kernel<<<1, kFlatThreads, 0, s>>>(chunks, partial, finish);
  RT_CUDA_CHECK_LAUNCH();
}

}  // namespace rethink::kernels::cuda
