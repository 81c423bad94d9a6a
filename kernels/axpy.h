// y += alpha * x: gradient accumulation.
#pragma once

#include <cstdint>

#include "kernels/hd.h"

namespace rethink::kernels {

template <class T>
struct Axpy {
  T alpha;
  const T* x;
  T* y;
  RT_HD void operator()(int64_t i) const { y[i] += alpha * x[i]; }
};

namespace cpu {
template <class T>
void axpy(T alpha, const T* x, T* y, int64_t n);
}  // namespace cpu

namespace cuda {
template <class T>
void axpy(T alpha, const T* x, T* y, int64_t n, Stream stream);
}  // namespace cuda

}  // namespace rethink::kernels
