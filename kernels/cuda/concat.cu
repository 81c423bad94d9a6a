#include "kernels/concat.h"
#include "kernels/cuda/for_each.cuh"

namespace rethink::kernels::cuda {

template <class T>
void concat_columns(const T* x, int64_t rows, int64_t cols, T* y, int64_t y_cols, int64_t offset,
                    Stream stream) {
  if (cols <= 0) return;
  for_each(rows * cols, CopyColumns<T>{x, cols, y + offset, y_cols, cols}, stream);
}

template <class T>
void split_columns(const T* dy, int64_t rows, int64_t dy_cols, int64_t offset, int64_t cols, T* dx,
                   Stream stream) {
  if (cols <= 0) return;
  for_each(rows * cols, CopyColumns<T>{dy + offset, dy_cols, dx, cols, cols}, stream);
}

template void concat_columns<float>(const float*, int64_t, int64_t, float*, int64_t, int64_t,
                                    Stream);
template void concat_columns<double>(const double*, int64_t, int64_t, double*, int64_t, int64_t,
                                     Stream);
template void split_columns<float>(const float*, int64_t, int64_t, int64_t, int64_t, float*,
                                   Stream);
template void split_columns<double>(const double*, int64_t, int64_t, int64_t, int64_t, double*,
                                    Stream);

}  // namespace rethink::kernels::cuda
