// y[i] = value.
#pragma once

#include <cstdint>

#include "kernels/hd.h"

namespace rethink::kernels {

template <class T>
struct Fill {
  T value;
  T* y;
  RT_HD void operator()(int64_t i) const { y[i] = value; }
};

namespace cpu {
template <class T>
void fill(T value, T* y, int64_t n);
}  // namespace cpu

namespace cuda {
template <class T>
void fill(T value, T* y, int64_t n, Stream stream);
}  // namespace cuda

}  // namespace rethink::kernels
