#include "kernels/fill.h"

#include "kernels/cpu/for_each.h"

namespace rethink::kernels::cpu {

template <class T>
void fill(T value, T* y, int64_t n) {
  for_each(n, Fill<T>{value, y});
}

template void fill<float>(float, float*, int64_t);
template void fill<double>(double, double*, int64_t);
template void fill<int32_t>(int32_t, int32_t*, int64_t);
template void fill<uint8_t>(uint8_t, uint8_t*, int64_t);

}  // namespace rethink::kernels::cpu
