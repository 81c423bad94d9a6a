// The fused SGD-with-momentum update over one contiguous parameter slab:
//   d = g + wd * w        (weight decay only on the first `decayed` elements: the slab puts
//                          conv and linear weights first, biases and BN shifts after them)
//   v = momentum * v + d
//   w -= lr * v           (Nesterov: w -= lr * (d + momentum * v))
#pragma once

#include <cstdint>

#include "kernels/hd.h"

namespace rethink::kernels {

template <class T>
struct SgdParams {
  T lr;
  T momentum;
  T weight_decay;
  bool nesterov;
  int64_t decayed;  // elements [0, decayed) get weight decay
};

template <class T>
struct SgdMomentumStep {
  T* w;
  const T* g;
  T* v;
  SgdParams<T> p;
  RT_HD void operator()(int64_t i) const {
    const T d = g[i] + (i < p.decayed ? p.weight_decay * w[i] : T(0));
    const T vi = p.momentum * v[i] + d;
    v[i] = vi;
    w[i] -= p.lr * (p.nesterov ? d + p.momentum * vi : vi);
  }
};

namespace cpu {
template <class T>
void sgd_momentum_step(T* w, const T* g, T* v, int64_t n, const SgdParams<T>& params);
}  // namespace cpu

namespace cuda {
// One launch for the whole slab.
template <class T>
void sgd_momentum_step(T* w, const T* g, T* v, int64_t n, const SgdParams<T>& params,
                       Stream stream);
}  // namespace cuda

}  // namespace rethink::kernels
