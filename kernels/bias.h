// Bias of a row-major [rows, cols] activation: y[r, c] += b[c]; db[c] = sum over r of dy[r, c].
#pragma once

#include <cstdint>

#include "kernels/hd.h"

namespace rethink::kernels {

template <class T>
struct BiasAddRows {
  const T* bias;
  int64_t cols;
  T* y;
  RT_HD void at(int64_t r, int64_t c) const { y[r * cols + c] += bias[c]; }
  RT_HD void operator()(int64_t i) const { at(i / cols, i % cols); }
};

namespace cpu {
template <class T>
void bias_add_rows(const T* bias, int64_t rows, int64_t cols, T* y);
// A reduction: each column is summed over rows in row order, whatever the thread count.
// With `accumulate` the sums are added to db (a gradient buffer) instead of replacing it.
template <class T>
void bias_grad_rows(const T* dy, int64_t rows, int64_t cols, T* db, bool accumulate = false);
}  // namespace cpu

namespace cuda {
template <class T>
void bias_add_rows(const T* bias, int64_t rows, int64_t cols, T* y, Stream stream);
// Bytes of device workspace bias_grad_rows needs.
int64_t bias_grad_workspace_bytes(int64_t rows, int64_t cols);
// Deterministic (kernels/cuda/reduce.cuh): fixed row chunks summed in double, then in order.
template <class T>
void bias_grad_rows(const T* dy, int64_t rows, int64_t cols, T* db, bool accumulate,
                    void* workspace, Stream stream);
}  // namespace cuda

}  // namespace rethink::kernels
