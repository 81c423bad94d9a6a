// The implicit GEMM's drivers as each instruction set's build defines them
// (implicit_gemm_kernels.inc, compiled by implicit_gemm_avx512.cpp and implicit_gemm_avx2.cpp);
// kernels/cpu/implicit_gemm.cpp checks the arguments and calls the active set's. Internal.
#pragma once

#include <cstdint>

#include "kernels/cpu/implicit_gemm.h"

namespace rethink::kernels::cpu::implicit_gemm {

#define RT_IMPLICIT_GEMM_DRIVERS                                                                 \
  void gemm_rows(const StridedRows& a, int64_t rows, const PackedB& layout, const float* packed, \
                 float* c, int64_t ldc, bool accumulate);                                        \
  void gemm_pixels(const PixelGrid& a, const float* d, int64_t ldd, int64_t n, float* c,         \
                   int64_t ldc);

namespace avx512 {
RT_IMPLICIT_GEMM_DRIVERS
}  // namespace avx512
namespace avx2 {
RT_IMPLICIT_GEMM_DRIVERS
}  // namespace avx2

#undef RT_IMPLICIT_GEMM_DRIVERS

// Floats per vector and the largest register block's vectors, per set (PackedB's layout).
struct IsaShape {
  int64_t lanes;
  int64_t max_vectors;
};
inline constexpr IsaShape kAvx512Shape{16, 4};
inline constexpr IsaShape kAvx2Shape{8, 3};

}  // namespace rethink::kernels::cpu::implicit_gemm
