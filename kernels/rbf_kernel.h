// Gaussian (RBF) kernel blocks for minimum-norm kernel interpolation (PAPER.md section 7):
//   K[i, j] = exp(-gamma * ||x_i - y_j||^2)
// computed as ||x_i||^2 + ||y_j||^2 - 2 <x_i, y_j>, the inner products by one GEMM per block,
// so the cost is the GEMM's. Rounding can make the sum slightly negative for (near) equal
// points: it is clamped at 0, so K[i, i] is exactly 1.
#pragma once

#include <cstdint>

#include "kernels/cuda/context.h"
#include "kernels/hd.h"
#include "kernels/math.h"

namespace rethink::kernels {

// norms[i] = ||x_i||^2 for row i of x [n, d], summed in index order.
template <class T>
struct SquaredRowNorms {
  const T* x;
  int64_t d;
  T* norms;

  RT_HD void operator()(int64_t i) const {
    const T* row = x + i * d;
    T sum = T(0);
    for (int64_t j = 0; j < d; ++j) sum += row[j] * row[j];
    norms[i] = sum;
  }
};

// Turns k[r, c] = -2 <x_r, y_c> into the kernel value, in place.
template <class T>
struct RbfFromInnerProducts {
  const T* row_norms;  // ||x_r||^2
  const T* col_norms;  // ||y_c||^2
  T gamma;
  int64_t ld;  // k's leading dimension (elements)
  T* k;

  RT_HD void at(int64_t r, int64_t c) const {
    T& v = k[r * ld + c];
    const T squared = row_norms[r] + col_norms[c] + v;
    v = hd_exp(-gamma * (squared > T(0) ? squared : T(0)));
  }
};

// K + ridge I: k[i, i] += ridge for the n diagonal elements (leading dimension ld).
template <class T>
struct AddRidge {
  T ridge;
  int64_t ld;
  T* k;

  RT_HD void operator()(int64_t i) const { k[i * ld + i] += ridge; }
};

namespace cpu {

// norms[i] = ||x_i||^2 for the rows of x [n, d].
template <class T>
void squared_norms(const T* x, int64_t n, int64_t d, T* norms);

// k[r, c] (leading dimension ldk) = exp(-gamma ||x_r - y_c||^2) for r < rows, c < cols, with
// x [rows, d], y [cols, d] and their squared_norms.
template <class T>
void rbf_block(const T* x, const T* x_norms, int64_t rows, const T* y, const T* y_norms,
               int64_t cols, int64_t d, T gamma, T* k, int64_t ldk);

template <class T>
void add_ridge(T ridge, int64_t n, T* k, int64_t ldk);

}  // namespace cpu

// The same on a GPU: the inner products by cuBLAS on ctx.stream (float32 in ctx.math's mode),
// the kernel values by RbfFromInnerProducts. Pointers are device memory.
namespace cuda {

template <class T>
void squared_norms(const T* x, int64_t n, int64_t d, T* norms, Stream stream);

template <class T>
void rbf_block(const Context& ctx, const T* x, const T* x_norms, int64_t rows, const T* y,
               const T* y_norms, int64_t cols, int64_t d, T gamma, T* k, int64_t ldk);

template <class T>
void add_ridge(T ridge, int64_t n, T* k, int64_t ldk, Stream stream);

}  // namespace cuda
}  // namespace rethink::kernels
