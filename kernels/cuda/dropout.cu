#include "kernels/cuda/for_each.cuh"
#include "kernels/dropout.h"

namespace rethink::kernels::cuda {
namespace {

// One thread per Philox block of four elements, as the CPU runs it: same draws, same bits.
template <class T>
struct Quads {
  DropoutApply<T> f;
  RT_HD void operator()(int64_t q) const { f.quad(q); }
};

}  // namespace

template <class T>
void dropout_apply(const T* in, T* out, int64_t n, double p, const PhiloxStream& stream,
                   Stream cuda_stream) {
  const DropoutApply<T> f{in, out, n, stream, static_cast<float>(p), static_cast<T>(1 / (1 - p))};
  for_each((n + 3) / 4, Quads<T>{f}, cuda_stream);
}

template void dropout_apply<float>(const float*, float*, int64_t, double, const PhiloxStream&,
                                   Stream);
template void dropout_apply<double>(const double*, double*, int64_t, double, const PhiloxStream&,
                                    Stream);

}  // namespace rethink::kernels::cuda
