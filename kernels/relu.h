// ReLU: y = max(x, 0); dx = dy where y > 0.
#pragma once

#include <cstdint>

#include "kernels/hd.h"

namespace rethink::kernels {

template <class T>
struct ReluForward {
  const T* x;
  T* y;
  RT_HD void operator()(int64_t i) const { y[i] = x[i] > T(0) ? x[i] : T(0); }
};

// Reads the output, not the input: the input buffer may already be recycled.
template <class T>
struct ReluBackward {
  const T* y;
  const T* dy;
  T* dx;
  RT_HD void operator()(int64_t i) const {
    const T g = dy[i];  // loaded unconditionally: the select then vectorizes, with no branch
    dx[i] = y[i] > T(0) ? g : T(0);
  }
};

namespace cpu {
template <class T>
void relu_forward(const T* x, T* y, int64_t n);
template <class T>
void relu_backward(const T* y, const T* dy, T* dx, int64_t n);
}  // namespace cpu

namespace cuda {
template <class T>
void relu_forward(const T* x, T* y, int64_t n, Stream stream);
template <class T>
void relu_backward(const T* y, const T* dy, T* dx, int64_t n, Stream stream);
}  // namespace cuda

}  // namespace rethink::kernels
