#include "experiments/grad_norm.h"

#include <cmath>

#include "kernels/check.h"
#include "kernels/cpu/reduce.h"

namespace rethink {
namespace {

template <class T>
double sum_of_squares(const T* x, int64_t n) {
  return kernels::cpu::sum(n, [x](int64_t i) {
    const double v = static_cast<double>(x[i]);
    return v * v;
  });
}

}  // namespace

double l2_norm(const Tensor& t) {
  if (!t.defined() || t.numel() == 0) return 0;
  const Tensor host = t.to(Device::cpu());
  switch (host.dtype()) {
    case DType::kFloat32:
      return std::sqrt(sum_of_squares(host.data<float>(), host.numel()));
    case DType::kFloat64:
      return std::sqrt(sum_of_squares(host.data<double>(), host.numel()));
    default:
      RT_FAIL("l2_norm: {} is not a floating-point tensor", t.describe());
  }
}

}  // namespace rethink
