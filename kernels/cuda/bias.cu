#include "kernels/bias.h"
#include "kernels/cuda/for_each.cuh"
#include "kernels/cuda/reduce.cuh"

namespace rethink::kernels::cuda {
namespace {

template <class T>
struct DyValue {
  const T* dy;
  int64_t cols;
  RT_HD void operator()(int64_t r, int64_t c, double* v) const { v[0] = dy[r * cols + c]; }
};

// The CPU's rounding: the double total (plus the old gradient) rounded once to T.
template <class T>
struct StoreBiasGrad {
  T* db;
  bool accumulate;
  RT_HD void operator()(int64_t c, const double* total) const {
    db[c] = static_cast<T>(accumulate ? db[c] + total[0] : total[0]);
  }
};

}  // namespace

template <class T>
void bias_add_rows(const T* bias, int64_t rows, int64_t cols, T* y, Stream stream) {
  if (cols <= 0) return;
  for_each(rows * cols, BiasAddRows<T>{bias, cols, y}, stream);
}

int64_t bias_grad_workspace_bytes(int64_t rows, int64_t cols) {
  return column_reduce_workspace(rows, cols, 1) * static_cast<int64_t>(sizeof(double));
}

template <class T>
void bias_grad_rows(const T* dy, int64_t rows, int64_t cols, T* db, bool accumulate,
                    void* workspace, Stream stream) {
  column_reduce<1>(rows, cols, DyValue<T>{dy, cols}, StoreBiasGrad<T>{db, accumulate},
                   static_cast<double*>(workspace), stream);
}

template void bias_add_rows<float>(const float*, int64_t, int64_t, float*, Stream);
template void bias_add_rows<double>(const double*, int64_t, int64_t, double*, Stream);
template void bias_grad_rows<float>(const float*, int64_t, int64_t, float*, bool, void*, Stream);
template void bias_grad_rows<double>(const double*, int64_t, int64_t, double*, bool, void*, Stream);

}  // namespace rethink::kernels::cuda
