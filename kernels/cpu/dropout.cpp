#include "kernels/dropout.h"

#include "kernels/cpu/for_each.h"

namespace rethink::kernels::cpu {
namespace {

template <class T>
struct Quads {
  DropoutApply<T> f;
  void operator()(int64_t q) const { f.quad(q); }
};

}  // namespace

template <class T>
void dropout_apply(const T* in, T* out, int64_t n, double p, const PhiloxStream& stream) {
  const DropoutApply<T> f{in, out, n, stream, static_cast<float>(p), static_cast<T>(1 / (1 - p))};
  // Parallel over blocks of four: a Philox block feeds four elements.
  for_each((n + 3) / 4, Quads<T>{f});
}

template void dropout_apply<float>(const float*, float*, int64_t, double, const PhiloxStream&);
template void dropout_apply<double>(const double*, double*, int64_t, double, const PhiloxStream&);

}  // namespace rethink::kernels::cpu
