// Dense linear solves A X = B for kernel interpolation (LAPACK through LAPACKE on the CPU,
// cuSOLVER on a GPU).
//
// Matrices are row-major like everything else in rethink, but LAPACKE's row-major entry points
// transpose the whole matrix into a scratch copy first, which would double the memory of an
// n x n kernel matrix. These call the column-major routines directly instead: a symmetric
// matrix is its own transpose, and the right-hand sides are passed as a [nrhs, n] row-major
// array (one right-hand side per row), which is exactly a column-major [n, nrhs] matrix.
// The GPU versions keep the same convention. They call cuSOLVER's 64-bit API (cusolverDnX*):
// its sizes, leading dimensions and workspace sizes are 64-bit, as a matrix of more than 2^31
// elements (n > 46,340) needs.
#pragma once

#include <cstdint>

#include "kernels/cuda/context.h"

namespace rethink::kernels {
namespace cpu {

// Cholesky: factors the symmetric positive definite a [n, n] in place (only its lower triangle,
// row-major, is read: a[i, j] for j <= i) and overwrites b [nrhs, n] with the solutions.
// Returns false, leaving `a` partly factored, when a is not numerically positive definite.
template <class T>
bool cholesky_solve(T* a, int64_t n, T* b, int64_t nrhs);

// After a successful cholesky_solve: sum over the right-hand sides x_r of x_r^T A x_r, from the
// factor left in `a` (A = U^T U with U the factor, so x^T A x = ||U x||^2).
template <class T>
double cholesky_quadratic_form(const T* factored, int64_t n, const T* x, int64_t nrhs);

// LU with partial pivoting: a [n, n] (all of it) is overwritten by its factors and b [nrhs, n]
// by the solutions of A^T X = B. Returns false when a is exactly singular. For a symmetric A,
// A^T = A.
template <class T>
bool lu_solve_transposed(T* a, int64_t n, T* b, int64_t nrhs);

}  // namespace cpu

// The same on a GPU, on ctx.stream with ctx.solver (runtime's solver_context). `a` and `b` are
// device memory; `workspace` is device memory of at least solve_workspace_bytes(ctx, a, n)
// bytes (cuSOLVER's buffer, LU's pivots and the status word). Each call waits for the GPU to
// report the factorization's status (cuSOLVER's devInfo), so it returns only when done.
namespace cuda {

// Enough device workspace for either solve of the n x n matrix at `a` (asked of cuSOLVER).
template <class T>
int64_t solve_workspace_bytes(const Context& ctx, const T* a, int64_t n);

// potrf + potrs on the lower triangle (row-major), as cpu::cholesky_solve; false (b untouched)
// when a is not numerically positive definite.
template <class T>
bool cholesky_solve(const Context& ctx, T* a, int64_t n, T* b, int64_t nrhs, void* workspace,
                    int64_t workspace_bytes);

// getrf + getrs on all of a, as cpu::lu_solve_transposed; false when a is exactly singular.
template <class T>
bool lu_solve_transposed(const Context& ctx, T* a, int64_t n, T* b, int64_t nrhs,
                         void* workspace, int64_t workspace_bytes);

}  // namespace cuda
}  // namespace rethink::kernels
