#include "kernels/fill.h"

#include "kernels/cuda/for_each.cuh"

namespace rethink::kernels::cuda {

template <class T>
void fill(T value, T* y, int64_t n, Stream stream) {
  for_each(n, Fill<T>{value, y}, stream);
}

template void fill<float>(float, float*, int64_t, Stream);
template void fill<double>(double, double*, int64_t, Stream);
template void fill<int32_t>(int32_t, int32_t*, int64_t, Stream);
template void fill<uint8_t>(uint8_t, uint8_t*, int64_t, Stream);

}  // namespace rethink::kernels::cuda
