// Channel concatenation of NHWC activations and its backward split. With channels last, every
// input is a [rows, cols] matrix (rows = the product of the other dimensions) whose rows land
// side by side in the output's rows: input i fills the output's columns
// [offset_i, offset_i + cols_i). Both directions are the same strided block copy.
#pragma once

#include <cstdint>

#include "kernels/hd.h"

namespace rethink::kernels {

// dst[r, c] = src[r, c] for a rows x cols block of row-major matrices with row strides src_ld
// and dst_ld (pointers already offset to the block's first column).
template <class T>
struct CopyColumns {
  const T* src;
  int64_t src_ld;
  T* dst;
  int64_t dst_ld;
  int64_t cols;
  RT_HD void at(int64_t r, int64_t c) const { dst[r * dst_ld + c] = src[r * src_ld + c]; }
  RT_HD void operator()(int64_t i) const { at(i / cols, i % cols); }
};

namespace cpu {
// Writes x (rows x cols, contiguous) into columns [offset, offset + cols) of y (rows x y_cols).
template <class T>
void concat_columns(const T* x, int64_t rows, int64_t cols, T* y, int64_t y_cols, int64_t offset);
// The backward: reads columns [offset, offset + cols) of dy (rows x dy_cols) into dx (rows x cols).
template <class T>
void split_columns(const T* dy, int64_t rows, int64_t dy_cols, int64_t offset, int64_t cols, T* dx);
}  // namespace cpu

namespace cuda {
template <class T>
void concat_columns(const T* x, int64_t rows, int64_t cols, T* y, int64_t y_cols, int64_t offset,
                    Stream stream);
template <class T>
void split_columns(const T* dy, int64_t rows, int64_t dy_cols, int64_t offset, int64_t cols, T* dx,
                   Stream stream);
}  // namespace cuda

}  // namespace rethink::kernels
