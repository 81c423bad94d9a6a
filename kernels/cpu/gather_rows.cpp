#include "kernels/gather_rows.h"

#include "kernels/cpu/for_each.h"

namespace rethink::kernels::cpu {

template <class T>
void gather_rows(const T* src, const int32_t* index, int64_t rows, int64_t row_size, T* dst) {
  for_each_2d(rows, row_size, GatherRows<T>{src, index, row_size, dst});
}

template void gather_rows<float>(const float*, const int32_t*, int64_t, int64_t, float*);
template void gather_rows<double>(const double*, const int32_t*, int64_t, int64_t, double*);
template void gather_rows<int32_t>(const int32_t*, const int32_t*, int64_t, int64_t, int32_t*);
template void gather_rows<uint8_t>(const uint8_t*, const int32_t*, int64_t, int64_t, uint8_t*);

}  // namespace rethink::kernels::cpu
