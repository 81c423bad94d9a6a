// The implicit-GEMM convolution's micro-kernels against naive double loops, at every
// register-block shape the drivers pick: rows 1 to 29 (one to three blocks), widths of one to
// nine vectors with ragged tails, several segments with gaps between them. They run with the
// active instruction set: ctest runs this binary once as it is (AVX-512 where the CPU has it)
// and once more with RETHINK_CPU_KERNELS=avx2 (tests/kernels/CMakeLists.txt).
#include "kernels/cpu/implicit_gemm.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "tests/support/data.h"

namespace rethink::kernels::cpu::implicit_gemm {
namespace {

class ImplicitGemmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!available()) {
      GTEST_SKIP() << "neither AVX2 nor AVX-512 on this CPU (or RETHINK_CPU_KERNELS=blas)";
    }
  }
};

void expect_near_all(const std::vector<float>& got, const std::vector<double>& want,
                     const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], 1e-5 * (1 + std::abs(want[i]))) << what << " element " << i;
  }
}

// Against a float32 sum of K products, within a few roundings of sum |a b| (the long-K shapes
// sum several hundred): `magnitude` holds that sum for each element.
void expect_near_sums(const std::vector<float>& got, const std::vector<double>& want,
                      const std::vector<double>& magnitude, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], 1e-6 + 2e-6 * magnitude[i]) << what << " element " << i;
  }
}

TEST(PackedBLayout, SplitsColumnsIntoEvenBlocksOfAtMostFourOrThreeVectors) {
  struct Want {
    Isa isa;
    int64_t n;
    std::vector<int64_t> vectors;  // per block
  };
  const Isa big = Isa::kAvx512, small = Isa::kAvx2;
  for (const Want& w :
       {Want{big, 1, {1}}, Want{big, 16, {1}}, Want{big, 17, {2}}, Want{big, 64, {4}},
        Want{big, 65, {3, 2}}, Want{big, 96, {3, 3}}, Want{big, 160, {4, 3, 3}},
        Want{big, 176, {4, 4, 3}}, Want{big, 336, {4, 4, 4, 3, 3, 3}}, Want{small, 1, {1}},
        Want{small, 8, {1}}, Want{small, 9, {2}}, Want{small, 24, {3}}, Want{small, 25, {2, 2}},
        Want{small, 32, {2, 2}}, Want{small, 96, {3, 3, 3, 3}}}) {
    const PackedB p = PackedB::make(7, w.n, w.isa);
    const int64_t lanes = w.isa == big ? 16 : 8;
    EXPECT_EQ(p.lanes, lanes);
    std::vector<int64_t> got;
    int64_t col = 0;
    for (int64_t b = 0; b < p.blocks; ++b) {
      got.push_back(p.vectors(b));
      EXPECT_EQ(p.block_col(b), col) << w.n << " block " << b;
      EXPECT_EQ(p.block_offset(b), col * 7) << w.n << " block " << b;
      col += p.vectors(b) * lanes;
    }
    EXPECT_EQ(got, w.vectors) << isa_name(w.isa) << " " << w.n;
    EXPECT_EQ(p.elements(), 7 * col) << w.n;
  }
  EXPECT_THROW(PackedB::make(7, 5, Isa::kNone), std::exception);
}

// Unset, the kernels take AVX-512 where the CPU has it and nothing else; RETHINK_CPU_KERNELS
// asks for AVX2 (the AVX2 ctest run relies on it) or for none.
TEST(ImplicitGemmIsa, IsTheBestTheCpuHasCappedByTheEnvironment) {
  __builtin_cpu_init();
  const Isa best = __builtin_cpu_supports("avx512f")                                 ? Isa::kAvx512
                   : __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? Isa::kAvx2
                                                                                     : Isa::kNone;
  const char* env = std::getenv("RETHINK_CPU_KERNELS");
  Isa want = best == Isa::kAvx512 ? best : Isa::kNone;
  if (env && std::strcmp(env, "blas") == 0) want = Isa::kNone;
  if (env && std::strcmp(env, "avx2") == 0) want = std::min(best, Isa::kAvx2);
  EXPECT_EQ(active_isa(), want) << (env ? env : "(unset)");
  EXPECT_EQ(available(), want != Isa::kNone);
}

// Shapes of A: one segment, several short ones, and long ones (K of several hundred, as in the
// 7x7 layers), over one line of rows or several.
struct RowsShape {
  int64_t segments, segment_length, lines;
};

TEST_F(ImplicitGemmTest, RowsMatchNaiveForEveryBlockShape) {
  for (const bool b_transposed : {false, true}) {
    for (const RowsShape& shape :
         {RowsShape{1, 37, 1}, RowsShape{3, 11, 1}, RowsShape{1, 700, 2}, RowsShape{2, 390, 3}}) {
      const int64_t segments = shape.segments, seg_len = shape.segment_length;
      const int64_t lines = shape.lines, k = segments * seg_len;
      // Gaps everywhere: between rows, lines and segments.
      const int64_t row_stride = seg_len + 5, line_stride = 31 * row_stride + 3;
      const int64_t seg_stride = lines * line_stride + 7;
      const bool long_k = seg_len > 100;
      for (const int64_t n : {1, 3, 16, 17, 33, 48, 64, 65, 96, 130}) {
        if (long_k && n != 17 && n != 64 && n != 130) continue;  // the naive loop is slow
        const std::vector<float> a = test::uniform_values<float>(segments * seg_stride, 1);
        const std::vector<float> b = test::uniform_values<float>(k * n, 2);
        const PackedB layout = PackedB::make(k, n);
        std::vector<float> packed(static_cast<size_t>(layout.elements()));
        pack_b(layout, b.data(), b_transposed ? k : n, b_transposed, packed.data());
        for (const int64_t rows : {1, 5, 7, 13, 14, 15, 29}) {
          SCOPED_TRACE("rows " + std::to_string(rows) + ", n " + std::to_string(n) + ", segments " +
                       std::to_string(segments) + " of " + std::to_string(seg_len) + ", lines " +
                       std::to_string(lines) + (b_transposed ? ", B as [n, k]" : ", B as [k, n]"));
          const int64_t ldc = n + 3;
          std::vector<double> want(static_cast<size_t>(lines * rows * ldc), 0.5);
          std::vector<double> magnitude(want.size(), 0.5);
          for (int64_t l = 0; l < lines; ++l) {
            for (int64_t i = 0; i < rows; ++i) {
              for (int64_t j = 0; j < n; ++j) {
                double acc = 0, abs_sum = 0;
                for (int64_t kk = 0; kk < k; ++kk) {
                  const int64_t s = kk / seg_len, e = kk % seg_len;
                  const double bv = b_transposed ? b[j * k + kk] : b[kk * n + j];
                  const double product =
                      double(a[s * seg_stride + l * line_stride + i * row_stride + e]) * bv;
                  acc += product;
                  abs_sum += std::abs(product);
                }
                want[(l * rows + i) * ldc + j] = acc;
                magnitude[(l * rows + i) * ldc + j] = abs_sum;
              }
            }
          }
          const StridedRows rows_of_a{.a = a.data(),
                                      .row_stride = row_stride,
                                      .segments = segments,
                                      .segment_length = seg_len,
                                      .segment_stride = seg_stride,
                                      .lines = lines,
                                      .line_stride = line_stride};
          std::vector<float> c(want.size(), 0.5f);  // the columns past n must stay untouched
          gemm_rows(rows_of_a, rows, layout, packed.data(), c.data(), ldc, false);
          expect_near_sums(c, want, magnitude, "C");
          for (int64_t r = 0; r < lines * rows; ++r) {
            for (int64_t j = 0; j < n; ++j) {
              want[r * ldc + j] *= 2;
              magnitude[r * ldc + j] *= 2;
            }
          }
          gemm_rows(rows_of_a, rows, layout, packed.data(), c.data(), ldc, true);
          expect_near_sums(c, want, magnitude, "C accumulated");
        }
      }
    }
  }
}

TEST_F(ImplicitGemmTest, RefusesBPackedForAnotherK) {
  const PackedB layout = PackedB::make(10, 4);
  std::vector<float> packed(static_cast<size_t>(layout.elements())), a(40), c(4);
  EXPECT_THROW(gemm_rows(StridedRows{.a = a.data(), .row_stride = 9, .segment_length = 9}, 1,
                         layout, packed.data(), c.data(), 4, false),
               std::exception);
}

TEST_F(ImplicitGemmTest, PixelsMatchNaiveForEveryBlockShape) {
  for (const int64_t seg_len : {1, 9, 16, 17, 40, 70}) {
    for (const int64_t n : {1, 5, 7, 9, 14, 15, 30}) {
      const int64_t segments = 2, lines = 3, cols = 5;
      const int64_t col_stride = seg_len + 2, line_stride = cols * col_stride + 7;
      const int64_t seg_stride = lines * line_stride + 3, k = segments * seg_len, ldd = n + 1;
      SCOPED_TRACE("segment length " + std::to_string(seg_len) + ", n " + std::to_string(n));
      const std::vector<float> a = test::uniform_values<float>(segments * seg_stride, 3);
      const std::vector<float> d = test::uniform_values<float>(lines * cols * ldd, 4);
      const int64_t ldc = k + 2;
      std::vector<double> want(static_cast<size_t>(n * ldc), 0.25);
      for (int64_t o = 0; o < n; ++o) {
        for (int64_t kk = 0; kk < k; ++kk) {
          double acc = 0.25;  // gemm_pixels adds to C
          for (int64_t l = 0; l < lines; ++l) {
            for (int64_t col = 0; col < cols; ++col) {
              const int64_t s = kk / seg_len, e = kk % seg_len;
              acc += double(d[(l * cols + col) * ldd + o]) *
                     double(a[l * line_stride + col * col_stride + s * seg_stride + e]);
            }
          }
          want[o * ldc + kk] = acc;
        }
      }
      const PixelGrid grid{.a = a.data(),
                           .lines = lines,
                           .cols = cols,
                           .line_stride = line_stride,
                           .col_stride = col_stride,
                           .segments = segments,
                           .segment_length = seg_len,
                           .segment_stride = seg_stride};
      std::vector<float> c(want.size(), 0.25f);
      gemm_pixels(grid, d.data(), ldd, n, c.data(), ldc);
      expect_near_all(c, want, "C");
    }
  }
}

}  // namespace
}  // namespace rethink::kernels::cpu::implicit_gemm
