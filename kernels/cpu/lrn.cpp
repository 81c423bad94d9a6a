#include "kernels/lrn.h"

#include "kernels/cpu/for_each.h"

namespace rethink::kernels::cpu {
namespace {

// Pixels are independent, so any split of them gives the same bits; the threshold counts
// elements, since a few pixels can hold many channels.
template <class F>
void for_each_pixel(int64_t pixels, int64_t channels, const F& f) {
#pragma omp parallel for schedule(static) if (pixels * channels >= kMinParallelWork)
  for (int64_t p = 0; p < pixels; ++p) f(p);
}

}  // namespace

template <class T>
void lrn_forward(const T* x, T* y, T* inv_norm, int64_t pixels, const LrnParams& p) {
  for_each_pixel(pixels, p.channels, make_lrn_forward(x, y, inv_norm, p));
}

template <class T>
void lrn_backward(const T* x, const T* y, const T* inv_norm, const T* dy, T* dx, int64_t pixels,
                  const LrnParams& p) {
  for_each_pixel(pixels, p.channels, make_lrn_backward(x, y, inv_norm, dy, dx, p));
}

template void lrn_forward<float>(const float*, float*, float*, int64_t, const LrnParams&);
template void lrn_forward<double>(const double*, double*, double*, int64_t, const LrnParams&);
template void lrn_backward<float>(const float*, const float*, const float*, const float*, float*,
                                  int64_t, const LrnParams&);
template void lrn_backward<double>(const double*, const double*, const double*, const double*,
                                   double*, int64_t, const LrnParams&);

}  // namespace rethink::kernels::cpu
