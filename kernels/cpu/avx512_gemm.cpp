#include "kernels/cpu/avx512_gemm.h"

#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "kernels/check.h"

// Every function that touches a 512-bit register carries this attribute (see the header).
#define RT_AVX512 __attribute__((target("avx512f,fma")))
// The register-block loops must be unrolled completely, or the accumulators live in memory
// (GCC 12 at -O2 leaves some of them rolled: 4x slower).
#define RT_UNROLL _Pragma("GCC unroll 16")

namespace rethink::kernels::cpu::avx512 {
namespace {

constexpr int kLanes = 16;
constexpr int kMaxAccumulators = 28;  // of the 32 zmm registers: the rest hold B and A

// Register-block rows for a block of `vectors` columns: as many as the accumulators allow.
constexpr int max_rows(int vectors) { return std::min(kMaxRows, kMaxAccumulators / vectors); }

// Lanes [0, n) of a vector, n in [1, 16].
RT_AVX512 inline __mmask16 lanes(int64_t n) {
  return n >= kLanes ? __mmask16(0xFFFF) : __mmask16((1u << n) - 1);
}

// The forward micro-kernel: C[R, 16 V] (+)= A[R, K] * B block, B packed [K][16 V]. The last
// vector stores only `tail` lanes.
template <int R, int V>
RT_AVX512 void rows_block(const StridedRows& a, const float* b, float* c, int64_t ldc,
                          __mmask16 tail, bool accumulate) {
  __m512 acc[R][V];
  RT_UNROLL
  for (int i = 0; i < R; ++i) {
    RT_UNROLL
    for (int j = 0; j < V; ++j) acc[i][j] = _mm512_setzero_ps();
  }
  const int64_t rs = a.row_stride;
  for (int64_t s = 0; s < a.segments; ++s) {
    const float* as = a.a + s * a.segment_stride;
    for (int64_t kk = 0; kk < a.segment_length; ++kk, b += V * kLanes) {
      __m512 bv[V];
      RT_UNROLL
      for (int j = 0; j < V; ++j) bv[j] = _mm512_loadu_ps(b + j * kLanes);
      RT_UNROLL
      for (int i = 0; i < R; ++i) {
        const __m512 av = _mm512_set1_ps(as[i * rs + kk]);
        RT_UNROLL
        for (int j = 0; j < V; ++j) acc[i][j] = _mm512_fmadd_ps(av, bv[j], acc[i][j]);
      }
    }
  }
  RT_UNROLL
  for (int i = 0; i < R; ++i) {
    float* ci = c + i * ldc;
    RT_UNROLL
    for (int j = 0; j < V; ++j) {
      const __mmask16 m = j == V - 1 ? tail : __mmask16(0xFFFF);
      __m512 v = acc[i][j];
      if (accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, ci + j * kLanes));
      _mm512_mask_storeu_ps(ci + j * kLanes, m, v);
    }
  }
}

// The weight-gradient micro-kernel: C[R, 16 V] += sum over pixels of D_p[R]^T A_p[16 V], the
// A vectors read at `offset` into each pixel's K-vector; the last vector has `tail` lanes.
template <int R, int V>
RT_AVX512 void pixels_block(const PixelGrid& a, int64_t offset, const float* d, int64_t ldd,
                            float* c, int64_t ldc, __mmask16 tail) {
  __m512 acc[R][V];
  RT_UNROLL
  for (int i = 0; i < R; ++i) {
    RT_UNROLL
    for (int j = 0; j < V; ++j) acc[i][j] = _mm512_setzero_ps();
  }
  for (int64_t line = 0; line < a.lines; ++line) {
    const float* ap = a.a + line * a.line_stride + offset;
    const float* dp = d + line * a.cols * ldd;
    for (int64_t col = 0; col < a.cols; ++col, ap += a.col_stride, dp += ldd) {
      __m512 av[V];
      RT_UNROLL
      for (int j = 0; j < V - 1; ++j) av[j] = _mm512_loadu_ps(ap + j * kLanes);
      av[V - 1] = _mm512_maskz_loadu_ps(tail, ap + (V - 1) * kLanes);
      RT_UNROLL
      for (int i = 0; i < R; ++i) {
        const __m512 dv = _mm512_set1_ps(dp[i]);
        RT_UNROLL
        for (int j = 0; j < V; ++j) acc[i][j] = _mm512_fmadd_ps(dv, av[j], acc[i][j]);
      }
    }
  }
  RT_UNROLL
  for (int i = 0; i < R; ++i) {
    float* ci = c + i * ldc;
    RT_UNROLL
    for (int j = 0; j < V; ++j) {
      const __mmask16 m = j == V - 1 ? tail : __mmask16(0xFFFF);
      const __m512 v = _mm512_add_ps(acc[i][j], _mm512_maskz_loadu_ps(m, ci + j * kLanes));
      _mm512_mask_storeu_ps(ci + j * kLanes, m, v);
    }
  }
}

// Tables of the instantiations, indexed [rows - 1][vectors - 1]; entries past max_rows are
// never called.
using RowsFn = void (*)(const StridedRows&, const float*, float*, int64_t, __mmask16, bool);
using PixelsFn = void (*)(const PixelGrid&, int64_t, const float*, int64_t, float*, int64_t,
                          __mmask16);

template <int R, int... V>
constexpr std::array<RowsFn, kMaxVectors> rows_fns(std::integer_sequence<int, V...>) {
  return {&rows_block<R, V + 1>...};
}
template <int... R>
constexpr auto rows_table(std::integer_sequence<int, R...>) {
  return std::array<std::array<RowsFn, kMaxVectors>, kMaxRows>{
      rows_fns<R + 1>(std::make_integer_sequence<int, kMaxVectors>{})...};
}
template <int R, int... V>
constexpr std::array<PixelsFn, kMaxVectors> pixels_fns(std::integer_sequence<int, V...>) {
  return {&pixels_block<R, V + 1>...};
}
template <int... R>
constexpr auto pixels_table(std::integer_sequence<int, R...>) {
  return std::array<std::array<PixelsFn, kMaxVectors>, kMaxRows>{
      pixels_fns<R + 1>(std::make_integer_sequence<int, kMaxVectors>{})...};
}
constexpr auto kRowsTable = rows_table(std::make_integer_sequence<int, kMaxRows>{});
constexpr auto kPixelsTable = pixels_table(std::make_integer_sequence<int, kMaxRows>{});

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Splits `count` into the fewest pieces of at most `most`, as even as possible; calls
// fn(first, size) for each.
template <class Fn>
void split_evenly(int64_t count, int64_t most, const Fn& fn) {
  const int64_t pieces = ceil_div(count, most);
  for (int64_t p = 0, first = 0; p < pieces; ++p) {
    const int64_t size = (count - first) / (pieces - p);
    fn(first, size);
    first += size;
  }
}

bool cpu_has_avx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f");
}

}  // namespace

bool available() {
  static const bool on = [] {
    const char* choice = std::getenv("RETHINK_CPU_KERNELS");
    if (choice && std::strcmp(choice, "blas") == 0) return false;
    return cpu_has_avx512();
  }();
  return on;
}

PackedB PackedB::make(int64_t k, int64_t n) {
  RT_CHECK(k >= 0 && n > 0, "avx512 gemm: bad sizes k={} n={}", k, n);
  PackedB p;
  p.k = k;
  p.n = n;
  const int64_t vectors = ceil_div(n, kLanes);
  p.blocks = ceil_div(vectors, kMaxVectors);
  p.base_vectors = vectors / p.blocks;
  p.wider_blocks = vectors % p.blocks;
  return p;
}

int64_t PackedB::block_col(int64_t block) const {
  return (block * base_vectors + std::min(block, wider_blocks)) * kLanes;
}

int64_t PackedB::vectors(int64_t block) const {
  return base_vectors + (block < wider_blocks ? 1 : 0);
}

int64_t PackedB::block_offset(int64_t block) const { return block_col(block) * k; }

int64_t PackedB::elements() const { return block_offset(blocks); }

void pack_b(const PackedB& layout, const float* b, int64_t ldb, bool b_transposed, float* packed) {
  for (int64_t blk = 0; blk < layout.blocks; ++blk) {
    const int64_t j0 = layout.block_col(blk), width = layout.vectors(blk) * kLanes;
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
           "avx512 gemm: A has K={} x {}, B was packed for K={}", a.segments, a.segment_length,
           layout.k);
  for (int64_t blk = 0; blk < layout.blocks; ++blk) {
    const int64_t j0 = layout.block_col(blk), vectors = layout.vectors(blk);
    const __mmask16 tail = lanes(layout.n - j0 - (vectors - 1) * kLanes);
    const float* b = packed + layout.block_offset(blk);
    split_evenly(rows, max_rows(static_cast<int>(vectors)), [&](int64_t first, int64_t size) {
      StridedRows block = a;
      block.a += first * a.row_stride;
      kRowsTable[size - 1][vectors - 1](block, b, c + first * ldc + j0, ldc, tail, accumulate);
    });
  }
}

void gemm_pixels(const PixelGrid& a, const float* d, int64_t ldd, int64_t n, float* c,
                 int64_t ldc) {
  if (a.lines == 0 || a.cols == 0) return;
  const int64_t seg_vectors = ceil_div(a.segment_length, kLanes);
  // The K vectors of a segment in blocks of at most kMaxVectors, rows (D's n) in blocks that
  // fit the accumulators beside them.
  split_evenly(seg_vectors, kMaxVectors, [&](int64_t v0, int64_t vectors) {
    const int64_t k0 = v0 * kLanes;
    const __mmask16 tail = lanes(a.segment_length - k0 - (vectors - 1) * kLanes);
    split_evenly(n, max_rows(static_cast<int>(vectors)), [&](int64_t first, int64_t size) {
      const auto fn = kPixelsTable[size - 1][vectors - 1];
      for (int64_t s = 0; s < a.segments; ++s) {
        fn(a, s * a.segment_stride + k0, d + first, ldd,
           c + first * ldc + s * a.segment_length + k0, ldc, tail);
      }
    });
  });
}

}  // namespace rethink::kernels::cpu::avx512
