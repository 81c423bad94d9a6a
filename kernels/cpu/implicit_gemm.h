// Register-blocked float32 GEMM micro-kernels (AVX-512; AVX2 when asked for) for
// products whose A rows are not a matrix in memory but a strided walk over an image: the
// convolutions' implicit GEMM (kernels/cpu/conv2d_implicit.cpp), where a row of the im2col
// matrix is read straight out of a zero-padded copy of the input instead of being copied into
// a col buffer first.
//
// Why our own and not OpenBLAS on a col buffer: the small Inception's convolutions have 32 to
// 176 output channels, so its GEMMs are [pixels, K] x [K, Cout] with a narrow Cout. OpenBLAS
// packs the wide operand (the col matrix) before every product and uses each packed element
// for only Cout/16 vector FMAs, so packing costs as much as the arithmetic (0.24-0.26 of its
// square rate on those shapes, docs/BENCHMARKS.md). Here the narrow operand, the weights, is
// packed once per call, and each A element is broadcast from where it lies into an FMA with a
// whole register row of packed weights: no im2col write, no col re-read, no A packing.
//
// The register block is rows x vectors of C in at most 28 of AVX-512's 32 registers (12 of
// AVX2's 16); a call sweeps one block of rows over one segment of K (a convolution's kernel
// row) before storing, so C is written once per segment. The kernels are one source
// (implicit_gemm_kernels.inc) compiled once per instruction set under its own target pragma
// (implicit_gemm_avx512.cpp, _avx2.cpp), so no AVX code reaches functions other files share; the
// entry points below pick the set.
#pragma once

#include <cstdint>

namespace rethink::kernels::cpu::implicit_gemm {

// The instruction sets the kernels are built for, best last.
enum class Isa { kNone, kAvx2, kAvx512 };

// What the kernels run with, from RETHINK_CPU_KERNELS (read once, at the first call): unset or
// "avx512", AVX-512 where the CPU has it and none elsewhere; "avx2", AVX2 (with FMA) where the
// CPU has it, even if it has AVX-512; "blas", none. None: the convolutions run im2col +
// OpenBLAS. (AVX2 is opt-in: against OpenBLAS's AVX2 kernels it was no clear win, see
// docs/BENCHMARKS.md.)
Isa active_isa();
const char* isa_name(Isa isa);  // "AVX-512", "AVX2", "none"
inline bool available() { return active_isa() != Isa::kNone; }

// B [k, n] packed for the micro-kernels of one instruction set: n's vectors (16 columns with
// AVX-512, 8 with AVX2) cut into the fewest blocks of at most max_vectors, their sizes
// differing by at most one (n = 96 with AVX-512 is two blocks of 48, not 64 + 32; 336 columns
// are 4+4+4+3+3+3 vectors, not five of four and a lone one), each block stored [k][its width],
// zeros past n.
struct PackedB {
  int64_t k = 0;
  int64_t n = 0;
  int64_t lanes = 0;  // floats per vector
  int64_t blocks = 0;
  int64_t base_vectors = 0;  // every block's vectors, and
  int64_t wider_blocks = 0;  // one more in this many first blocks

  static PackedB make(int64_t k, int64_t n, Isa isa = active_isa());
  int64_t elements() const;                   // floats the packed copy takes
  int64_t block_col(int64_t block) const;     // first column of a block (block <= blocks)
  int64_t vectors(int64_t block) const;       // its vectors
  int64_t block_offset(int64_t block) const;  // its first element in the packed copy
};

// packed <- B, B(kk, j) = b[kk * ldb + j] (row-major [k, n]) or, with b_transposed,
// b[j * ldb + kk] (B given as [n, k], as conv weights [Cout, K] are).
void pack_b(const PackedB& layout, const float* b, int64_t ldb, bool b_transposed, float* packed);

// Rows of A as walked by the forward micro-kernel: row i, segment s, element kk is
// a[s * segment_stride + i * row_stride + kk], kk < segment_length, and K = segments *
// segment_length. A plain row-major matrix is one segment with row_stride = lda; a convolution
// row over a padded image is one segment per kernel row (its KW * Cin taps are contiguous).
//
// `lines` blocks of `rows` rows each (a convolution's output lines of one image): line l's A
// starts line_stride further on, and its C rows follow line l - 1's in C.
struct StridedRows {
  const float* a = nullptr;
  int64_t row_stride = 0;
  int64_t segments = 1;
  int64_t segment_length = 0;
  int64_t segment_stride = 0;
  int64_t lines = 1;
  int64_t line_stride = 0;
};

// C[lines * rows, n] = A * B (+ C when accumulate), C row-major with leading dimension ldc.
// Any rows >= 0: the register blocks are spread evenly over them. K is taken segment by
// segment, each one for every line's rows before the next.
// B packed by PackedB::make for the active instruction set.
void gemm_rows(const StridedRows& a, int64_t rows, const PackedB& layout, const float* packed,
               float* c, int64_t ldc, bool accumulate);

// The weight gradient's product: C[n, K] += sum over pixels p of D_p^T A_p, where pixel p =
// (line, col) has its n-vector D_p at d + (line * cols + col) * ldd and its K-vector A_p in
// segments like StridedRows: segment s of pixel p starts at a + line * line_stride + col *
// col_stride + s * segment_stride. C row-major with leading dimension ldc: for a convolution,
// D is dy, A the padded input seen through the window, and C the weight gradient [Cout, K]
// as it is stored. The register block is rows of C (output channels, broadcast from D) by
// vectors along K (loaded from A); the pixels are summed in order, so the result does not
// depend on the machine.
struct PixelGrid {
  const float* a = nullptr;
  int64_t lines = 0;
  int64_t cols = 0;
  int64_t line_stride = 0;
  int64_t col_stride = 0;
  int64_t segments = 1;
  int64_t segment_length = 0;
  int64_t segment_stride = 0;
};
void gemm_pixels(const PixelGrid& a, const float* d, int64_t ldd, int64_t n, float* c, int64_t ldc);

}  // namespace rethink::kernels::cpu::implicit_gemm
