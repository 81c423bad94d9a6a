#include "kernels/bias.h"

#include <algorithm>
#include <vector>

#include "kernels/cpu/for_each.h"

namespace rethink::kernels::cpu {

template <class T>
void bias_add_rows(const T* bias, int64_t rows, int64_t cols, T* y) {
  for_each_2d(rows, cols, BiasAddRows<T>{bias, cols, y});
}

template <class T>
void bias_grad_rows(const T* dy, int64_t rows, int64_t cols, T* db, bool accumulate) {
  // Column blocks run in parallel; inside a block the rows stream through contiguous memory
  // and every column still sums its rows in order (deterministic).
  constexpr int64_t kBlock = 256;
  const int64_t blocks = (cols + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (rows * cols >= kMinParallelWork)
  for (int64_t blk = 0; blk < blocks; ++blk) {
    const int64_t c0 = blk * kBlock;
    const int64_t c1 = std::min(cols, c0 + kBlock);
    double acc[kBlock] = {};
    for (int64_t r = 0; r < rows; ++r) {
      const T* row = dy + r * cols;
      for (int64_t c = c0; c < c1; ++c) acc[c - c0] += row[c];
    }
    for (int64_t c = c0; c < c1; ++c) {
      db[c] = static_cast<T>(accumulate ? db[c] + acc[c - c0] : acc[c - c0]);
    }
  }
}

template void bias_add_rows<float>(const float*, int64_t, int64_t, float*);
template void bias_add_rows<double>(const double*, int64_t, int64_t, double*);
template void bias_grad_rows<float>(const float*, int64_t, int64_t, float*, bool);
template void bias_grad_rows<double>(const double*, int64_t, int64_t, double*, bool);

}  // namespace rethink::kernels::cpu
