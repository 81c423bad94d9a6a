#include "kernels/cuda/for_each.cuh"
#include "kernels/gather_rows.h"

namespace rethink::kernels::cuda {

template <class T>
void gather_rows(const T* src, const int32_t* index, int64_t rows, int64_t row_size, T* dst,
                 Stream stream) {
  if (row_size <= 0) return;
  for_each(rows * row_size, GatherRows<T>{src, index, row_size, dst}, stream);
}

template void gather_rows<float>(const float*, const int32_t*, int64_t, int64_t, float*, Stream);
template void gather_rows<double>(const double*, const int32_t*, int64_t, int64_t, double*, Stream);
template void gather_rows<int32_t>(const int32_t*, const int32_t*, int64_t, int64_t, int32_t*,
                                   Stream);
template void gather_rows<uint8_t>(const uint8_t*, const int32_t*, int64_t, int64_t, uint8_t*,
                                   Stream);

}  // namespace rethink::kernels::cuda
