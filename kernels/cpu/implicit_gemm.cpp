// The implicit GEMM's entry points: which instruction set runs, the packed layout, the
// argument checks; the kernels themselves are in implicit_gemm_kernels.inc.
#include "kernels/cpu/implicit_gemm.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "kernels/check.h"
#include "kernels/cpu/implicit_gemm_isa.h"

namespace rethink::kernels::cpu::implicit_gemm {
namespace {

Isa best_isa_of_this_cpu() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return Isa::kAvx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::kAvx2;
  return Isa::kNone;
}

// AVX2 only when asked for: measured against OpenBLAS's own AVX2 kernels (docs/BENCHMARKS.md)
// its forward is 10% faster and its backward 2% slower, too close to call for a default.
Isa choose_isa() {
  const Isa best = best_isa_of_this_cpu();
  const Isa by_default = best == Isa::kAvx512 ? best : Isa::kNone;
  const char* env = std::getenv("RETHINK_CPU_KERNELS");
  const std::string_view choice = env ? env : "";
  if (choice.empty() || choice == "avx512") return by_default;
  if (choice == "blas") return Isa::kNone;
  if (choice == "avx2") return std::min(best, Isa::kAvx2);
  fmt::print(stderr, "rethink: RETHINK_CPU_KERNELS='{}' is not blas, avx2 or avx512; using {}\n",
             choice, isa_name(by_default));
  return by_default;
}

IsaShape shape_of(Isa isa) {
  RT_CHECK(isa != Isa::kNone,
           "implicit gemm: no instruction set to pack for (available() is false)");
  return isa == Isa::kAvx512 ? kAvx512Shape : kAvx2Shape;
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

Isa active_isa() {
  static const Isa isa = choose_isa();
  return isa;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kAvx512:
      return "AVX-512";
    case Isa::kAvx2:
      return "AVX2";
    case Isa::kNone:
      break;
  }
  return "none";
}

PackedB PackedB::make(int64_t k, int64_t n, Isa isa) {
  RT_CHECK(k >= 0 && n > 0, "implicit gemm: bad sizes k={} n={}", k, n);
  const IsaShape shape = shape_of(isa);
  PackedB p;
  p.k = k;
  p.n = n;
  p.lanes = shape.lanes;
  const int64_t vectors = ceil_div(n, shape.lanes);
  p.blocks = ceil_div(vectors, shape.max_vectors);
  p.base_vectors = vectors / p.blocks;
  p.wider_blocks = vectors % p.blocks;
  return p;
}

int64_t PackedB::block_col(int64_t block) const {
  return (block * base_vectors + std::min(block, wider_blocks)) * lanes;
}

int64_t PackedB::vectors(int64_t block) const {
  return base_vectors + (block < wider_blocks ? 1 : 0);
}

int64_t PackedB::block_offset(int64_t block) const { return block_col(block) * k; }

int64_t PackedB::elements() const { return block_offset(blocks); }

void pack_b(const PackedB& layout, const float* b, int64_t ldb, bool b_transposed, float* packed) {
  for (int64_t blk = 0; blk < layout.blocks; ++blk) {
    const int64_t j0 = layout.block_col(blk), width = layout.vectors(blk) * layout.lanes;
    float* dst = packed + layout.block_offset(blk);
    for (int64_t kk = 0; kk < layout.k; ++kk, dst += width) {
      for (int64_t j = 0; j < width; ++j) {
        const int64_t col = j0 + j;
        dst[j] = col >= layout.n ? 0.f : b_transposed ? b[col * ldb + kk] : b[kk * ldb + col];
      }
    }
  }
}

void gemm_rows(const StridedRows& a, int64_t rows, const PackedB& layout, const float* packed,
               float* c, int64_t ldc, bool accumulate) {
  RT_CHECK(a.segments * a.segment_length == layout.k,
           "implicit gemm: A has K={} x {}, B was packed for K={}", a.segments, a.segment_length,
           layout.k);
  const Isa isa = active_isa();
  RT_CHECK(layout.lanes == shape_of(isa).lanes,
           "implicit gemm: B was packed for {}-float vectors, {} runs {}", layout.lanes,
           isa_name(isa), shape_of(isa).lanes);
  if (isa == Isa::kAvx512) {
    avx512::gemm_rows(a, rows, layout, packed, c, ldc, accumulate);
  } else {
    avx2::gemm_rows(a, rows, layout, packed, c, ldc, accumulate);
  }
}

void gemm_pixels(const PixelGrid& a, const float* d, int64_t ldd, int64_t n, float* c,
                 int64_t ldc) {
  if (a.lines == 0 || a.cols == 0 || n == 0) return;
  const Isa isa = active_isa();
  RT_CHECK(isa != Isa::kNone, "implicit gemm: no instruction set to run (available() is false)");
  if (isa == Isa::kAvx512) {
    avx512::gemm_pixels(a, d, ldd, n, c, ldc);
  } else {
    avx2::gemm_pixels(a, d, ldd, n, c, ldc);
  }
}

}  // namespace rethink::kernels::cpu::implicit_gemm
