// GEMM behind one row-major signature on both devices:
//   C[m, n] = alpha * op(A)[m, k] * op(B)[k, n] + beta * C[m, n]
// with op(X) = X^T when trans_x is set, and leading dimensions counted in elements.
// The CPU path is OpenBLAS's cblas (OpenMP build); the CUDA path is cuBLAS (the row-major
// product is the column-major product of the transposes, C^T = op(B)^T op(A)^T, so no data
// moves), float32 in the context's math mode and float64 always in IEEE double.
#pragma once

#include <cstdint>

#include "kernels/cuda/context.h"

namespace rethink::kernels {

namespace detail {
// Throws rethink::Error for negative sizes or leading dimensions too small for them (what a
// BLAS would otherwise report by printing and aborting).
void check_gemm_args(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, int64_t lda,
                     int64_t ldb, int64_t ldc);
}  // namespace detail

namespace cpu {
template <class T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
          int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc);
}  // namespace cpu

namespace cuda {
// On ctx.stream with ctx.blas; float32 products use TF32 when ctx.math is kTf32. Sizes and
// leading dimensions must fit cuBLAS's int.
template <class T>
void gemm(const Context& ctx, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha,
          const T* a, int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc);
}  // namespace cuda

}  // namespace rethink::kernels
