#include "kernels/rbf_kernel.h"

#include "kernels/cuda/for_each.cuh"
#include "kernels/gemm.h"

namespace rethink::kernels::cuda {

template <class T>
void squared_norms(const T* x, int64_t n, int64_t d, T* norms, Stream stream) {
  for_each(n, SquaredRowNorms<T>{x, d, norms}, stream);
}

template <class T>
void rbf_block(const Context& ctx, const T* x, const T* x_norms, int64_t rows, const T* y,
               const T* y_norms, int64_t cols, int64_t d, T gamma, T* k, int64_t ldk) {
  if (rows == 0 || cols == 0) return;
  gemm<T>(ctx, false, true, rows, cols, d, T(-2), x, d, y, d, T(0), k, ldk);
  for_each_2d(rows, cols, RbfFromInnerProducts<T>{x_norms, y_norms, gamma, ldk, k}, ctx.stream);
}

template <class T>
void add_ridge(T ridge, int64_t n, T* k, int64_t ldk, Stream stream) {
  for_each(n, AddRidge<T>{ridge, ldk, k}, stream);
}

#define RT_INSTANTIATE(T)                                                                     \
  template void squared_norms<T>(const T*, int64_t, int64_t, T*, Stream);                     \
  template void rbf_block<T>(const Context&, const T*, const T*, int64_t, const T*, const T*, \
                             int64_t, int64_t, T, T*, int64_t);                               \
  template void add_ridge<T>(T, int64_t, T*, int64_t, Stream);
RT_INSTANTIATE(float)
RT_INSTANTIATE(double)
#undef RT_INSTANTIATE

}  // namespace rethink::kernels::cuda
