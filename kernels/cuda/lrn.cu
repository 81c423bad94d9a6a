#include "kernels/cuda/for_each.cuh"
#include "kernels/lrn.h"

namespace rethink::kernels::cuda {

// A thread per pixel walks its channels with the O(C) sliding window, exactly as the CPU
// does; neighbouring threads read addresses `channels` apart, which the caches absorb for the
// paper's 64 channels.
template <class T>
void lrn_forward(const T* x, T* y, T* inv_norm, int64_t pixels, const LrnParams& p, Stream stream) {
  for_each(pixels, make_lrn_forward(x, y, inv_norm, p), stream);
}

template <class T>
void lrn_backward(const T* x, const T* y, const T* inv_norm, const T* dy, T* dx, int64_t pixels,
                  const LrnParams& p, Stream stream) {
  for_each(pixels, make_lrn_backward(x, y, inv_norm, dy, dx, p), stream);
}

template void lrn_forward<float>(const float*, float*, float*, int64_t, const LrnParams&, Stream);
template void lrn_forward<double>(const double*, double*, double*, int64_t, const LrnParams&,
                                  Stream);
template void lrn_backward<float>(const float*, const float*, const float*, const float*, float*,
                                  int64_t, const LrnParams&, Stream);
template void lrn_backward<double>(const double*, const double*, const double*, const double*,
                                   double*, int64_t, const LrnParams&, Stream);

}  // namespace rethink::kernels::cuda
