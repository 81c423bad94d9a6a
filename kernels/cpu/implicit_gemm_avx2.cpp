// The implicit GEMM's kernels for AVX2 with FMA (see kernels/cpu/implicit_gemm_kernels.inc):
// what CPUs without AVX-512 run.
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

#include "kernels/cpu/implicit_gemm_isa.h"

// Everything defined from here on may use AVX2 and FMA; the headers above were compiled for
// the build's own target.
#pragma GCC push_options
#pragma GCC target("avx2,fma")

namespace rethink::kernels::cpu::implicit_gemm::avx2 {

// 12 of the 16 ymm registers for accumulators: the rest hold up to three B vectors and a
// broadcast (AVX2's FMA cannot broadcast from memory).
struct I {
  using V = __m256;
  using Mask = __m256i;  // lanes with the sign bit set
  static constexpr int kLanes = static_cast<int>(kAvx2Shape.lanes);
  static constexpr int kMaxAccumulators = 12;
  static constexpr int kMaxRows = 12;
  static constexpr int kMaxVectors = static_cast<int>(kAvx2Shape.max_vectors);
  static V zero() { return _mm256_setzero_ps(); }
  static V set1(float x) { return _mm256_set1_ps(x); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V loadu(const float* p) { return _mm256_loadu_ps(p); }
  static Mask lanes(int64_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static V load(Mask m, const float* p) { return _mm256_maskload_ps(p, m); }
  static void store(Mask m, float* p, V v) { _mm256_maskstore_ps(p, m, v); }
};

#include "kernels/cpu/implicit_gemm_kernels.inc"

}  // namespace rethink::kernels::cpu::implicit_gemm::avx2

#pragma GCC pop_options
