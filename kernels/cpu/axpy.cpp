#include "kernels/axpy.h"

#include "kernels/cpu/for_each.h"

namespace rethink::kernels::cpu {

template <class T>
void axpy(T alpha, const T* x, T* y, int64_t n) {
  for_each(n, Axpy<T>{alpha, x, y});
}

template void axpy<float>(float, const float*, float*, int64_t);
template void axpy<double>(double, const double*, double*, int64_t);

}  // namespace rethink::kernels::cpu
