// Dropout: element i (flat index) is kept iff the Philox draw keyed by (seed, step, layer) at
// i is >= p, and kept values are scaled by 1 / (1 - p) so that the expectation is unchanged.
// The mask is a pure function of the key and the index: the backward recomputes it instead of
// storing it, and the CPU and the GPU drop the very same elements.
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kernels/hd.h"
#include "kernels/philox.h"

namespace rethink::kernels {

// The stream a dropout layer draws from at a training step.
RT_HD PhiloxStream dropout_stream(uint64_t seed, uint32_t step, uint32_t layer) {
  return PhiloxStream::make(seed, RngPurpose::kDropout, step, layer);
}

// v when keep, else +0, through a bit mask: the draws are random, so a branch would mispredict
// on every other element (a 3x slowdown on the CPU), and the compiler does not if-convert it.
template <class T>
RT_HD T keep_or_zero(T v, bool keep) {
  using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  static_assert(sizeof(Bits) == sizeof(T));
  Bits b;
  memcpy(&b, &v, sizeof b);
  b &= Bits(0) - static_cast<Bits>(keep);
  memcpy(&v, &b, sizeof v);
  return v;
}

// out[i] = keep(i) ? in[i] * scale : 0. The forward maps x to y, the backward dy to dx.
template <class T>
struct DropoutApply {
  const T* in;
  T* out;
  int64_t n;
  PhiloxStream stream;
  float threshold;  // float(p): uniform() has 24 bits, exact in float
  T scale;          // T(1 / (1 - p))

  RT_HD bool keep(uint32_t bits) const {
    return static_cast<float>(bits >> 8) * (1.0f / 16777216.0f) >= threshold;
  }
  RT_HD void operator()(int64_t i) const {
    out[i] = keep_or_zero(in[i] * scale, keep(stream.bits(static_cast<uint64_t>(i))));
  }
  // Elements 4q .. 4q + 3 from one Philox block: a quarter of the per-element cost.
  RT_HD void quad(int64_t q) const {
    const PhiloxBlock b = stream.block(static_cast<uint64_t>(q));
    const int64_t base = 4 * q;
    const int64_t count = n - base < 4 ? n - base : 4;
    for (int64_t k = 0; k < count; ++k) {
      out[base + k] = keep_or_zero(in[base + k] * scale, keep(b.v[k]));
    }
  }
};

namespace cpu {
// in and out may be the same buffer.
template <class T>
void dropout_apply(const T* in, T* out, int64_t n, double p, const PhiloxStream& stream);
}  // namespace cpu

namespace cuda {
// The same mask as cpu::dropout_apply, bit for bit; in and out may be the same buffer.
template <class T>
void dropout_apply(const T* in, T* out, int64_t n, double p, const PhiloxStream& stream,
                   Stream cuda_stream);
}  // namespace cuda

}  // namespace rethink::kernels
