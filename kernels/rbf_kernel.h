// Gaussian (RBF) kernel blocks for minimum-norm kernel interpolation (PAPER.md section 7):
//   K[i, j] = exp(-gamma * ||x_i - y_j||^2)
// computed as ||x_i||^2 + ||y_j||^2 - 2 <x_i, y_j>, the inner products by one GEMM per block,
// so the cost is the GEMM's. Rounding can make the sum slightly negative for (near) equal
// points: it is clamped at 0, so K[i, i] is exactly 1.
#pragma once

#include <cstdint>

#include "kernels/hd.h"
#include "kernels/math.h"

namespace rethink::kernels {

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

namespace cpu {

// norms[i] = ||x_i||^2 for the rows of x [n, d].
template <class T>
void squared_norms(const T* x, int64_t n, int64_t d, T* norms);

// k[r, c] (leading dimension ldk) = exp(-gamma ||x_r - y_c||^2) for r < rows, c < cols, with
// x [rows, d], y [cols, d] and their squared_norms.
template <class T>
void rbf_block(const T* x, const T* x_norms, int64_t rows, const T* y, const T* y_norms,
               int64_t cols, int64_t d, T gamma, T* k, int64_t ldk);

}  // namespace cpu
}  // namespace rethink::kernels
