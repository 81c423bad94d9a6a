// The implicit GEMM's kernels for AVX-512 (see kernels/cpu/implicit_gemm_kernels.inc).
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

#include "kernels/cpu/implicit_gemm_isa.h"

// Everything defined from here on may use AVX-512F and FMA; the headers above were compiled
// for the build's own target.
#pragma GCC push_options
#pragma GCC target("avx512f,fma")

namespace rethink::kernels::cpu::implicit_gemm::avx512 {

// 28 of the 32 zmm registers for accumulators: the rest hold B vectors and a broadcast.
struct I {
  using V = __m512;
  using Mask = __mmask16;
  static constexpr int kLanes = static_cast<int>(kAvx512Shape.lanes);
  static constexpr int kMaxAccumulators = 28;
  static constexpr int kMaxRows = 14;
  static constexpr int kMaxVectors = static_cast<int>(kAvx512Shape.max_vectors);
  static V zero() { return _mm512_setzero_ps(); }
  static V set1(float x) { return _mm512_set1_ps(x); }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V loadu(const float* p) { return _mm512_loadu_ps(p); }
  static Mask lanes(int64_t n) { return Mask((1u << n) - 1); }  // n = 16: 0xFFFF
  static V load(Mask m, const float* p) { return _mm512_maskz_loadu_ps(m, p); }
  static void store(Mask m, float* p, V v) { _mm512_mask_storeu_ps(p, m, v); }
};

#include "kernels/cpu/implicit_gemm_kernels.inc"

}  // namespace rethink::kernels::cpu::implicit_gemm::avx512

#pragma GCC pop_options
