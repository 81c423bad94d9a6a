// GEMM behind one row-major signature on both devices:
//   C[m, n] = alpha * op(A)[m, k] * op(B)[k, n] + beta * C[m, n]
// with op(X) = X^T when trans_x is set, and leading dimensions counted in elements.
// The CPU path is OpenBLAS's cblas (OpenMP build); the CUDA path (cuBLAS) joins it later.
#pragma once

#include <cstdint>

namespace rethink::kernels::cpu {

template <class T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
          int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc);

}  // namespace rethink::kernels::cpu
