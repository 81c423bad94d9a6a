#include "kernels/rbf_kernel.h"

#include "kernels/cpu/for_each.h"
#include "kernels/gemm.h"

namespace rethink::kernels::cpu {

template <class T>
void squared_norms(const T* x, int64_t n, int64_t d, T* norms) {
  const SquaredRowNorms<T> row_norm{x, d, norms};
  // Parallel by the work (n * d), not by the row count as for_each would be.
#pragma omp parallel for schedule(static) if (n * d >= kMinParallelWork)
  for (int64_t i = 0; i < n; ++i) row_norm(i);
}

template <class T>
void rbf_block(const T* x, const T* x_norms, int64_t rows, const T* y, const T* y_norms,
               int64_t cols, int64_t d, T gamma, T* k, int64_t ldk) {
  if (rows == 0 || cols == 0) return;
  gemm<T>(false, true, rows, cols, d, T(-2), x, d, y, d, T(0), k, ldk);
  for_each_2d(rows, cols, RbfFromInnerProducts<T>{x_norms, y_norms, gamma, ldk, k});
}

template <class T>
void add_ridge(T ridge, int64_t n, T* k, int64_t ldk) {
  const AddRidge<T> add{ridge, ldk, k};
  for (int64_t i = 0; i < n; ++i) add(i);  // n elements a cache line apart: not worth threads
}

#define RT_INSTANTIATE(T)                                                                   \
  template void squared_norms<T>(const T*, int64_t, int64_t, T*);                           \
  template void rbf_block<T>(const T*, const T*, int64_t, const T*, const T*, int64_t, int64_t, \
                             T, T*, int64_t);                                               \
  template void add_ridge<T>(T, int64_t, T*, int64_t);
RT_INSTANTIATE(float)
RT_INSTANTIATE(double)
#undef RT_INSTANTIATE

}  // namespace rethink::kernels::cpu
