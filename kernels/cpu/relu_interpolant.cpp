#include "kernels/relu_interpolant.h"

#include "kernels/cpu/for_each.h"

namespace rethink::kernels::cpu {

template <class T>
void relu_interpolant(const T* projections, int64_t points, const T* thresholds, const T* weights,
                      int64_t hidden, T* out) {
  const ReluInterpolant<T> f{projections, thresholds, weights, hidden, out};
  // Each point is O(hidden) work: parallel whenever there is more than a handful of them.
#pragma omp parallel for schedule(static) if (points * hidden >= kMinParallelWork)
  for (int64_t i = 0; i < points; ++i) f(i);
}

template void relu_interpolant<float>(const float*, int64_t, const float*, const float*, int64_t,
                                      float*);
template void relu_interpolant<double>(const double*, int64_t, const double*, const double*,
                                       int64_t, double*);

}  // namespace rethink::kernels::cpu
