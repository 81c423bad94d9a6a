// Theorem 1's two-layer ReLU network (PAPER.md section 8), evaluated the way a network runs:
//   c(z) = sum_j w[j] * max(<a, z> - b[j], 0)
// over every one of its `hidden` units, given the projections p = <a, z> (the first layer,
// computed by a GEMM). Evaluating all n units for each of n points costs O(n^2), on purpose: it
// checks the network itself, not the O(n) recurrence that solved for w.
//
// Sums run over eight interleaved accumulators, combined in a fixed order: vectorizable without
// -ffast-math and the same on every device and thread count.
#pragma once

#include <cstdint>

#include "kernels/hd.h"

namespace rethink::kernels {

template <class T>
struct ReluInterpolant {
  const T* projections;  // [points]: <a, z_i>
  const T* thresholds;   // [hidden]: b
  const T* weights;      // [hidden]: w
  int64_t hidden = 0;
  T* out;  // [points]

  static constexpr int kLanes = 8;

  RT_HD void operator()(int64_t i) const {
    const T p = projections[i];
    T acc[kLanes] = {};
    int64_t j = 0;
    for (; j + kLanes <= hidden; j += kLanes) {
      for (int l = 0; l < kLanes; ++l) {
        const T h = p - thresholds[j + l];
        acc[l] += weights[j + l] * (h > T(0) ? h : T(0));
      }
    }
    for (; j < hidden; ++j) {
      const T h = p - thresholds[j];
      acc[0] += weights[j] * (h > T(0) ? h : T(0));
    }
    T sum = T(0);
    for (int l = 0; l < kLanes; ++l) sum += acc[l];
    out[i] = sum;
  }
};

namespace cpu {

// out[i] = sum_j weights[j] * max(projections[i] - thresholds[j], 0) for i in [0, points).
template <class T>
void relu_interpolant(const T* projections, int64_t points, const T* thresholds, const T* weights,
                      int64_t hidden, T* out);

}  // namespace cpu
}  // namespace rethink::kernels
