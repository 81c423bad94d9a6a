#include "kernels/concat.h"

#include "kernels/cpu/for_each.h"

namespace rethink::kernels::cpu {

template <class T>
void concat_columns(const T* x, int64_t rows, int64_t cols, T* y, int64_t y_cols, int64_t offset) {
  for_each_2d(rows, cols, CopyColumns<T>{x, cols, y + offset, y_cols, cols});
}

template <class T>
void split_columns(const T* dy, int64_t rows, int64_t dy_cols, int64_t offset, int64_t cols,
                   T* dx) {
  for_each_2d(rows, cols, CopyColumns<T>{dy + offset, dy_cols, dx, cols, cols});
}

template void concat_columns<float>(const float*, int64_t, int64_t, float*, int64_t, int64_t);
template void concat_columns<double>(const double*, int64_t, int64_t, double*, int64_t, int64_t);
template void split_columns<float>(const float*, int64_t, int64_t, int64_t, int64_t, float*);
template void split_columns<double>(const double*, int64_t, int64_t, int64_t, int64_t, double*);

}  // namespace rethink::kernels::cpu
