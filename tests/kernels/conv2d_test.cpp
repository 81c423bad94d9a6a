#include "kernels/conv2d.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/error.h"
#include "tests/support/data.h"
#include "tests/support/scoped_threads.h"
#include "tests/support/serial.h"

namespace rethink::kernels {
namespace {

struct Case {
  int64_t batch, in_h, in_w, in_c, out_c, kernel_h, kernel_w, stride;
  PaddingMode mode;
};

std::string describe(const Case& c) {
  return std::to_string(c.batch) + "x" + std::to_string(c.in_h) + "x" + std::to_string(c.in_w) +
         "x" + std::to_string(c.in_c) + " -> " + std::to_string(c.out_c) + ", " +
         std::to_string(c.kernel_h) + "x" + std::to_string(c.kernel_w) + "/" +
         std::to_string(c.stride) + (c.mode == PaddingMode::kSame ? " SAME" : " VALID");
}

// Pointwise, 1x1 stride 2, 3x3 SAME at stride 1 and 2 on even and odd sizes, 5x5, a VALID
// non-square kernel, batch 1, a 1x1 image, channel counts not a multiple of 4; both ways of
// computing dx.
const std::vector<Case> kCases = {
    {2, 5, 4, 3, 4, 1, 1, 1, PaddingMode::kSame},
    {3, 6, 5, 5, 2, 1, 1, 2, PaddingMode::kSame},
    {2, 5, 6, 3, 5, 3, 3, 1, PaddingMode::kSame},
    {2, 6, 6, 7, 3, 3, 3, 2, PaddingMode::kSame},
    {2, 7, 5, 5, 4, 3, 3, 2, PaddingMode::kSame},
    {1, 6, 7, 3, 2, 5, 5, 1, PaddingMode::kSame},
    {2, 7, 6, 5, 3, 3, 2, 1, PaddingMode::kValid},
    {1, 1, 1, 7, 5, 3, 3, 1, PaddingMode::kSame},
    {3, 8, 8, 4, 6, 3, 3, 2, PaddingMode::kValid},
    {1, 9, 4, 2, 3, 2, 4, 3, PaddingMode::kSame},
    {2, 4, 4, 3, 3, 1, 1, 1, PaddingMode::kValid},
    {6, 5, 4, 3, 4, 3, 3, 2, PaddingMode::kSame},
    {5, 3, 2, 5, 3, 1, 1, 1, PaddingMode::kSame},
    {37, 3, 3, 2, 3, 3, 3, 1, PaddingMode::kSame},
    // dx by the transposed convolution (Cin >= 3 Cout at stride 1): SAME, 5x5, VALID
    // non-square, and a batch large enough for shared-out tiles.
    {2, 6, 5, 7, 2, 3, 3, 1, PaddingMode::kSame},
    {1, 6, 7, 6, 2, 5, 5, 1, PaddingMode::kSame},
    {1, 5, 6, 9, 3, 2, 3, 1, PaddingMode::kValid},
    {7, 4, 5, 12, 4, 3, 3, 1, PaddingMode::kSame},
    // The implicit engine's transposed dx (Cin >= 16) and register-block edges: widths past
    // one and four vectors of 16, lines of more than one block, a ragged channel tail.
    {3, 7, 15, 17, 5, 3, 3, 1, PaddingMode::kSame},
    {2, 6, 5, 16, 70, 3, 3, 1, PaddingMode::kValid},
    {1, 5, 9, 20, 18, 5, 5, 1, PaddingMode::kSame},
    {2, 9, 8, 18, 33, 3, 3, 2, PaddingMode::kSame},
    {2, 3, 31, 40, 65, 1, 1, 1, PaddingMode::kSame},
    {5, 4, 4, 33, 17, 2, 2, 1, PaddingMode::kSame},
};

WindowedShape shape_of(const Case& c) {
  return WindowedShape::make(
      c.batch, c.in_h, c.in_w, c.in_c,
      Window2d::make(c.kernel_h, c.kernel_w, c.stride, c.mode, c.in_h, c.in_w));
}

// Input pixel (h, w) that window tap (kh, kw) at output (oh, ow) reads; false in the padding.
bool tap(const WindowedShape& s, int64_t oh, int64_t ow, int64_t kh, int64_t kw, int64_t* h,
         int64_t* w) {
  *h = oh * s.window.stride_h - s.window.pad.top + kh;
  *w = ow * s.window.stride_w - s.window.pad.left + kw;
  return *h >= 0 && *h < s.in_h && *w >= 0 && *w < s.in_w;
}

// The definition, in double: y[n,oh,ow,o] = b[o] + sum_{kh,kw,c} x[n,h,w,c] w[o,kh,kw,c].
template <class T>
std::vector<double> naive_forward(const WindowedShape& s, int64_t out_c, const std::vector<T>& x,
                                  const std::vector<T>& wt, const std::vector<T>* b) {
  const int64_t kh_n = s.window.kernel_h, kw_n = s.window.kernel_w, cin = s.in_c;
  std::vector<double> y(static_cast<size_t>(s.out_pixels() * out_c));
  for (int64_t n = 0; n < s.batch; ++n)
    for (int64_t oh = 0; oh < s.out_h; ++oh)
      for (int64_t ow = 0; ow < s.out_w; ++ow)
        for (int64_t o = 0; o < out_c; ++o) {
          double acc = b ? double((*b)[o]) : 0.0;
          for (int64_t kh = 0; kh < kh_n; ++kh)
            for (int64_t kw = 0; kw < kw_n; ++kw) {
              int64_t h, w;
              if (!tap(s, oh, ow, kh, kw, &h, &w)) continue;
              for (int64_t c = 0; c < cin; ++c) {
                acc += double(x[((n * s.in_h + h) * s.in_w + w) * cin + c]) *
                       double(wt[((o * kh_n + kh) * kw_n + kw) * cin + c]);
              }
            }
          y[((n * s.out_h + oh) * s.out_w + ow) * out_c + o] = acc;
        }
  return y;
}

struct NaiveGrads {
  std::vector<double> dx, dw, db;
};

// The chain rule spelled out as a scatter over every (output, tap, channel) product.
template <class T>
NaiveGrads naive_backward(const WindowedShape& s, int64_t out_c, const std::vector<T>& x,
                          const std::vector<T>& wt, const std::vector<T>& dy) {
  const int64_t kh_n = s.window.kernel_h, kw_n = s.window.kernel_w, cin = s.in_c;
  NaiveGrads g{std::vector<double>(x.size()), std::vector<double>(wt.size()),
               std::vector<double>(static_cast<size_t>(out_c))};
  for (int64_t n = 0; n < s.batch; ++n)
    for (int64_t oh = 0; oh < s.out_h; ++oh)
      for (int64_t ow = 0; ow < s.out_w; ++ow)
        for (int64_t o = 0; o < out_c; ++o) {
          const double d = dy[((n * s.out_h + oh) * s.out_w + ow) * out_c + o];
          g.db[o] += d;
          for (int64_t kh = 0; kh < kh_n; ++kh)
            for (int64_t kw = 0; kw < kw_n; ++kw) {
              int64_t h, w;
              if (!tap(s, oh, ow, kh, kw, &h, &w)) continue;
              for (int64_t c = 0; c < cin; ++c) {
                const int64_t xi = ((n * s.in_h + h) * s.in_w + w) * cin + c;
                const int64_t wi = ((o * kh_n + kh) * kw_n + kw) * cin + c;
                g.dx[xi] += d * double(wt[wi]);
                g.dw[wi] += d * double(x[xi]);
              }
            }
        }
  return g;
}

template <class T>
double tolerance() {
  return std::is_same_v<T, float> ? 2e-5 : 1e-12;
}

template <class T>
void expect_near_all(const std::vector<T>& got, const std::vector<double>& want, const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_NEAR(double(got[i]), want[i], tolerance<T>() * (1 + std::abs(want[i])))
        << what << " element " << i;
  }
}

template <class T>
class Conv2dKernelTest : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(Conv2dKernelTest, FloatTypes);

// A 4x4 image, 3x3 ones filter, stride 2 SAME: TensorFlow pads 0 on top/left and 1 at the
// bottom/right, so output (0, 0) sums rows/cols 0..2 and output (1, 1) sums rows/cols 2..3.
// A symmetric pad of 1 would give x[0..1, 0..1] for (0, 0) instead.
TYPED_TEST(Conv2dKernelTest, StrideTwoSamePadsBottomRightByHand) {
  using T = TypeParam;
  std::vector<T> x(16);
  for (size_t i = 0; i < x.size(); ++i) x[i] = T(1 << i % 8) * T(i < 8 ? 1 : 256);
  const std::vector<T> w(9, T(1));
  const auto s = WindowedShape::make(1, 4, 4, 1, Window2d::make(3, 3, 2, PaddingMode::kSame, 4, 4));
  ASSERT_EQ(s.out_h, 2);
  ASSERT_EQ(s.out_w, 2);
  const auto plan = Conv2dPlan::make(s, 1, sizeof(T));
  std::vector<T> ws(static_cast<size_t>(plan.forward_workspace_elements()));
  std::vector<T> y(4);
  cpu::conv2d_forward<T>(plan, x.data(), w.data(), nullptr, y.data(), ws.data());
  const auto sum = [&](int64_t h0, int64_t h1, int64_t w0, int64_t w1) {
    T acc = 0;
    for (int64_t h = h0; h <= h1; ++h)
      for (int64_t c = w0; c <= w1; ++c) acc += x[h * 4 + c];
    return acc;
  };
  EXPECT_EQ(y,
            (std::vector<T>{sum(0, 2, 0, 2), sum(0, 2, 2, 3), sum(2, 3, 0, 2), sum(2, 3, 2, 3)}));
}

// The col matrix against its definition, and the index-by-index functor against the row form.
TYPED_TEST(Conv2dKernelTest, Im2colMatchesDefinitionAndFunctor) {
  using T = TypeParam;
  for (const Case& c : kCases) {
    SCOPED_TRACE(describe(c));
    const WindowedShape s = shape_of(c);
    const int64_t k = c.kernel_h * c.kernel_w * c.in_c;
    const std::vector<T> x = test::uniform_values<T>(s.in_pixels() * c.in_c, 1);
    std::vector<T> want(static_cast<size_t>(s.out_pixels() * k), T(0));
    for (int64_t n = 0; n < s.batch; ++n)
      for (int64_t oh = 0; oh < s.out_h; ++oh)
        for (int64_t ow = 0; ow < s.out_w; ++ow)
          for (int64_t kh = 0; kh < c.kernel_h; ++kh)
            for (int64_t kw = 0; kw < c.kernel_w; ++kw)
              for (int64_t ci = 0; ci < c.in_c; ++ci) {
                int64_t h, w;
                if (!tap(s, oh, ow, kh, kw, &h, &w)) continue;
                want[(((n * s.out_h + oh) * s.out_w + ow) * c.kernel_h * c.kernel_w +
                      kh * c.kernel_w + kw) *
                         c.in_c +
                     ci] = x[((n * s.in_h + h) * s.in_w + w) * c.in_c + ci];
              }
    std::vector<T> col(want.size(), T(-7));
    cpu::im2col(x.data(), s, col.data());
    EXPECT_EQ(col, want);

    std::vector<T> by_index(want.size(), T(-7));
    test::run_each_index(static_cast<int64_t>(want.size()),
                         Im2col<T>{x.data(), s, by_index.data()});
    EXPECT_EQ(by_index, want);
  }
}

// col2im is im2col's adjoint, <col2im(d), x> = <d, im2col(x)>, written as a gather; it must
// match the scatter definition and the index-by-index functor bit for bit.
TYPED_TEST(Conv2dKernelTest, Col2imMatchesScatterAndFunctor) {
  using T = TypeParam;
  for (const Case& c : kCases) {
    SCOPED_TRACE(describe(c));
    const WindowedShape s = shape_of(c);
    const int64_t taps = c.kernel_h * c.kernel_w;
    const std::vector<T> dcol = test::uniform_values<T>(s.out_pixels() * taps * c.in_c, 2);
    std::vector<double> want(static_cast<size_t>(s.in_pixels() * c.in_c));
    for (int64_t n = 0; n < s.batch; ++n)
      for (int64_t oh = 0; oh < s.out_h; ++oh)
        for (int64_t ow = 0; ow < s.out_w; ++ow)
          for (int64_t kh = 0; kh < c.kernel_h; ++kh)
            for (int64_t kw = 0; kw < c.kernel_w; ++kw)
              for (int64_t ci = 0; ci < c.in_c; ++ci) {
                int64_t h, w;
                if (!tap(s, oh, ow, kh, kw, &h, &w)) continue;
                want[((n * s.in_h + h) * s.in_w + w) * c.in_c + ci] +=
                    dcol[(((n * s.out_h + oh) * s.out_w + ow) * taps + kh * c.kernel_w + kw) *
                             c.in_c +
                         ci];
              }
    std::vector<T> dx(want.size(), T(-7));
    cpu::col2im(dcol.data(), s, dx.data());
    expect_near_all(dx, want, "dx");

    std::vector<T> by_index(want.size(), T(-7));
    test::run_each_index(static_cast<int64_t>(want.size()),
                         Col2imGather<T>{dcol.data(), s, by_index.data()});
    EXPECT_EQ(by_index, dx);
  }
}

// Forward and backward against the naive loops, with the batch as one tile, one image per tile
// and two per tile (a ragged last tile for odd batches), the tiles taking turns (1 thread) or
// shared out between threads (2 and 3; enough tiles for that in the larger batches, and more
// tiles than weight-gradient groups in the largest).
// Both engines where they run: im2col + BLAS always, implicit GEMM for float32 on AVX2/AVX-512.
template <class T>
std::vector<Conv2dEngine> engines_for() {
  std::vector<Conv2dEngine> engines{Conv2dEngine::kIm2col};
  if (Conv2dPlan::implicit_available(sizeof(T))) engines.push_back(Conv2dEngine::kImplicit);
  return engines;
}

std::string engine_name(Conv2dEngine e) {
  return e == Conv2dEngine::kImplicit ? "implicit GEMM" : "im2col";
}

TYPED_TEST(Conv2dKernelTest, ForwardAndBackwardMatchNaiveForEveryTiling) {
  using T = TypeParam;
  int transposed_cases = 0, col2im_cases = 0, implicit_transposed = 0, implicit_col2im = 0;
  for (const Conv2dEngine engine : engines_for<T>()) {
    for (const Case& c : kCases) {
      const WindowedShape s = shape_of(c);
      const std::vector<T> x = test::uniform_values<T>(s.in_pixels() * c.in_c, 3);
      const std::vector<T> w =
          test::uniform_values<T>(c.out_c * c.kernel_h * c.kernel_w * c.in_c, 4);
      const std::vector<T> b = test::uniform_values<T>(c.out_c, 5);
      const std::vector<T> dy = test::uniform_values<T>(s.out_pixels() * c.out_c, 6);
      const std::vector<double> want_y = naive_forward(s, c.out_c, x, w, &b);
      const std::vector<double> want_y_nobias = naive_forward<T>(s, c.out_c, x, w, nullptr);
      const NaiveGrads want = naive_backward(s, c.out_c, x, w, dy);
      const int64_t image_bytes =
          s.out_h * s.out_w * c.kernel_h * c.kernel_w * c.in_c * static_cast<int64_t>(sizeof(T));
      for (const int64_t budget : {int64_t{1} << 40, int64_t{1}, 2 * image_bytes}) {
        for (const int threads : {1, 2, 3}) {
          SCOPED_TRACE(describe(c) + ", " + engine_name(engine) + ", tile budget " +
                       std::to_string(budget) + ", " + std::to_string(threads) + " threads");
          const auto plan = Conv2dPlan::make(s, c.out_c, sizeof(T), budget, threads, engine);
          ASSERT_EQ(plan.implicit, engine == Conv2dEngine::kImplicit);
          if (budget == 1 && threads == 1 && !s.window.is_pointwise()) {
            if (plan.implicit) {
              ++(plan.transposed_dx ? implicit_transposed : implicit_col2im);
            } else {
              ++(plan.transposed_dx ? transposed_cases : col2im_cases);
            }
          }
          if (budget == 1) {
            ASSERT_EQ(plan.tile_images, 1);
          }
          if (budget == 1 && c.batch >= 6 && threads > 1) {
            ASSERT_TRUE(plan.parallel_tiles);
          }
          std::vector<T> ws(static_cast<size_t>(plan.backward_workspace_elements()));
          ASSERT_GE(plan.backward_workspace_elements(), plan.forward_workspace_elements());

          std::vector<T> y(want_y.size(), T(-7));
          cpu::conv2d_forward(plan, x.data(), w.data(), b.data(), y.data(), ws.data());
          expect_near_all(y, want_y, "y");
          cpu::conv2d_forward<T>(plan, x.data(), w.data(), nullptr, y.data(), ws.data());
          expect_near_all(y, want_y_nobias, "y without bias");

          std::vector<T> dx(x.size(), T(-7)), dw(w.size(), T(-7)), db(b.size(), T(-7));
          cpu::conv2d_backward(plan, x.data(), w.data(), dy.data(), dx.data(), dw.data(), false,
                               db.data(), false, ws.data());
          expect_near_all(dx, want.dx, "dx");
          expect_near_all(dw, want.dw, "dw");
          expect_near_all(db, want.db, "db");
        }
      }
    }
  }
  EXPECT_GE(transposed_cases, 4);
  EXPECT_GE(col2im_cases, 4);
  if (Conv2dPlan::implicit_available(sizeof(T))) {
    EXPECT_GE(implicit_transposed, 4);
    EXPECT_GE(implicit_col2im, 4);
  }
}

// Gradient buffers: dw and db add to what is there when asked; absent outputs are skipped.
TYPED_TEST(Conv2dKernelTest, BackwardAccumulatesAndSkipsNullOutputs) {
  using T = TypeParam;
  for (const Conv2dEngine engine : engines_for<T>()) {
    for (const Case& c : {kCases[0], kCases[3], kCases[18]}) {
      SCOPED_TRACE(describe(c) + ", " + engine_name(engine));
      const WindowedShape s = shape_of(c);
      const std::vector<T> x = test::uniform_values<T>(s.in_pixels() * c.in_c, 7);
      const std::vector<T> w =
          test::uniform_values<T>(c.out_c * c.kernel_h * c.kernel_w * c.in_c, 8);
      const std::vector<T> dy = test::uniform_values<T>(s.out_pixels() * c.out_c, 9);
      const NaiveGrads want = naive_backward(s, c.out_c, x, w, dy);
      const auto plan = Conv2dPlan::make(s, c.out_c, sizeof(T), 1, 0, engine);  // several tiles
      std::vector<T> ws(static_cast<size_t>(plan.backward_workspace_elements()));

      std::vector<T> dw(w.size(), T(1)), db(static_cast<size_t>(c.out_c), T(2));
      cpu::conv2d_backward<T>(plan, x.data(), w.data(), dy.data(), nullptr, dw.data(), true,
                              db.data(), true, ws.data());
      std::vector<double> want_dw(want.dw), want_db(want.db);
      for (double& v : want_dw) v += 1;
      for (double& v : want_db) v += 2;
      expect_near_all(dw, want_dw, "accumulated dw");
      expect_near_all(db, want_db, "accumulated db");

      std::vector<T> dx(x.size(), T(-7));
      cpu::conv2d_backward<T>(plan, x.data(), w.data(), dy.data(), dx.data(), nullptr, false,
                              nullptr, false, ws.data());
      expect_near_all(dx, want.dx, "dx alone");
    }
  }
}

// An empty batch produces nothing and leaves zero gradients, not the buffers' old contents.
TYPED_TEST(Conv2dKernelTest, EmptyBatchGivesZeroWeightGradient) {
  using T = TypeParam;
  for (const Conv2dEngine engine : engines_for<T>()) {
    for (const int64_t k : {1, 3}) {
      const auto s =
          WindowedShape::make(0, 4, 4, 3, Window2d::make(k, k, 1, PaddingMode::kSame, 4, 4));
      const auto plan =
          Conv2dPlan::make(s, 2, sizeof(T), Conv2dPlan::default_tile_bytes(), 0, engine);
      const std::vector<T> w(static_cast<size_t>(2 * k * k * 3), T(1));
      std::vector<T> dw(w.size(), T(-7)), db(2, T(-7));
      T dummy = 0;
      cpu::conv2d_backward<T>(plan, &dummy, w.data(), &dummy, &dummy, dw.data(), false, db.data(),
                              false, &dummy);
      EXPECT_EQ(dw, std::vector<T>(w.size(), T(0))) << k;
      EXPECT_EQ(db, std::vector<T>(2, T(0))) << k;
    }
  }
}

// Same inputs, one thread or two: identical bits (fixed summation orders throughout), with
// the tiles shared out between the threads and with the threads sharing each GEMM.
TEST(Conv2dKernel, ResultsDoNotDependOnTheThreadCount) {
  const Case c{24, 14, 14, 16, 24, 3, 3, 1, PaddingMode::kSame};
  const WindowedShape s = shape_of(c);
  const auto x = test::uniform_values<float>(s.in_pixels() * c.in_c, 10);
  const auto w = test::uniform_values<float>(c.out_c * 9 * c.in_c, 11);
  const auto dy = test::uniform_values<float>(s.out_pixels() * c.out_c, 12);
  for (const Conv2dEngine engine : engines_for<float>()) {
    SCOPED_TRACE(engine_name(engine));
    const auto run = [&](int threads, int64_t tile_bytes) {
      test::ScopedOmpThreads scoped(threads);
      const auto plan = Conv2dPlan::make(s, c.out_c, sizeof(float), tile_bytes, 0, engine);
      EXPECT_EQ(plan.parallel_tiles, threads > 1 && tile_bytes == 1) << threads;
      std::vector<float> ws(static_cast<size_t>(plan.backward_workspace_elements()));
      std::vector<float> y(static_cast<size_t>(s.out_pixels() * c.out_c)), dx(x.size()),
          dw(w.size()), db(static_cast<size_t>(c.out_c));
      cpu::conv2d_forward<float>(plan, x.data(), w.data(), nullptr, y.data(), ws.data());
      cpu::conv2d_backward(plan, x.data(), w.data(), dy.data(), dx.data(), dw.data(), false,
                           db.data(), false, ws.data());
      return std::vector<std::vector<float>>{y, dx, dw, db};
    };
    EXPECT_EQ(run(1, 1), run(2, 1));
    EXPECT_EQ(run(1, int64_t{1} << 40), run(2, int64_t{1} << 40));
  }
}

// The im2col engine's plan (its tile sizes and workspace are what the tests below pin down).
Conv2dPlan im2col_plan(const WindowedShape& s, int64_t out_c, int64_t element_size,
                       int64_t tile_bytes = Conv2dPlan::default_tile_bytes(), int threads = 0) {
  return Conv2dPlan::make(s, out_c, element_size, tile_bytes, threads, Conv2dEngine::kIm2col);
}

// dx by the transposed convolution exactly where it pays: stride 1, a real window, at most a
// third as many outputs as inputs. Both paths are checked against the naive loops above
// (kCases holds stride-1 windows with fewer and with more outputs than inputs).
TEST(Conv2dKernel, PlanTakesTheTransposedConvolutionForDxAtStrideOneWithFewerOutputs) {
  const auto shape = [](int64_t in_c, int64_t kernel, int64_t stride, PaddingMode mode) {
    return WindowedShape::make(2, 9, 7, in_c, Window2d::make(kernel, kernel, stride, mode, 9, 7));
  };
  EXPECT_TRUE(im2col_plan(shape(12, 3, 1, PaddingMode::kSame), 4, 4).transposed_dx);
  EXPECT_FALSE(im2col_plan(shape(11, 3, 1, PaddingMode::kSame), 4, 4).transposed_dx);
  EXPECT_FALSE(im2col_plan(shape(4, 3, 1, PaddingMode::kSame), 8, 4).transposed_dx);
  EXPECT_FALSE(im2col_plan(shape(12, 3, 2, PaddingMode::kSame), 4, 4).transposed_dx);
  EXPECT_FALSE(im2col_plan(shape(12, 1, 1, PaddingMode::kSame), 4, 4).transposed_dx);

  // Its shape maps dy's grid back onto x's, SAME and VALID alike.
  for (const PaddingMode mode : {PaddingMode::kSame, PaddingMode::kValid}) {
    const WindowedShape s = shape(12, 3, 1, mode);
    const auto plan = im2col_plan(s, 4, 4);
    ASSERT_TRUE(plan.transposed_dx);
    EXPECT_EQ(plan.transposed.in_h, s.out_h);
    EXPECT_EQ(plan.transposed.in_w, s.out_w);
    EXPECT_EQ(plan.transposed.in_c, 4);
    EXPECT_EQ(plan.transposed.out_h, s.in_h);
    EXPECT_EQ(plan.transposed.out_w, s.in_w);
  }
}

TEST(Conv2dKernel, FlippedWeightsSwapChannelsAndReverseTheWindow) {
  const int64_t out_c = 2, kh = 2, kw = 3, in_c = 4;
  std::vector<float> w(static_cast<size_t>(out_c * kh * kw * in_c));
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(i);
  std::vector<float> flipped(w.size(), -1);
  const FlipConvWeights<float> f{w.data(), out_c, kh, kw, in_c, flipped.data()};
  for (int64_t i = 0; i < static_cast<int64_t>(w.size()); ++i) f(i);
  for (int64_t c = 0; c < in_c; ++c) {
    for (int64_t h = 0; h < kh; ++h) {
      for (int64_t x = 0; x < kw; ++x) {
        for (int64_t o = 0; o < out_c; ++o) {
          EXPECT_EQ(flipped[((c * kh + h) * kw + x) * out_c + o],
                    w[((o * kh + (kh - 1 - h)) * kw + (kw - 1 - x)) * in_c + c]);
        }
      }
    }
  }
}

TEST(Conv2dKernel, PlanTilesWholeImagesWithinTheBudget) {
  const auto s =
      WindowedShape::make(10, 8, 8, 4, Window2d::make(3, 3, 1, PaddingMode::kSame, 8, 8));
  const int64_t image_bytes = 64 * 36 * 4, image_elements = 64 * 36;
  EXPECT_EQ(im2col_plan(s, 5, 4, 3 * image_bytes + 7).tile_images, 3);
  EXPECT_EQ(im2col_plan(s, 5, 4, 1).tile_images, 1);
  EXPECT_EQ(im2col_plan(s, 5, 4, int64_t{1} << 40).tile_images, 10);

  // 4 tiles (3 + 3 + 3 + 1 images): enough for 2 threads to take whole tiles, not for 3.
  const auto two = im2col_plan(s, 5, 4, 3 * image_bytes, 2);
  EXPECT_EQ(two.tiles(), 4);
  EXPECT_TRUE(two.parallel_tiles);
  EXPECT_EQ(two.forward_workspace_elements(), 2 * 3 * image_elements);
  EXPECT_EQ(two.backward_workspace_elements(), 2 * 3 * image_elements + 4 * 5 * 36);
  const auto three = im2col_plan(s, 5, 4, 3 * image_bytes, 3);
  EXPECT_FALSE(three.parallel_tiles);
  EXPECT_EQ(three.forward_workspace_elements(), 3 * image_elements);

  // Weight-gradient groups are capped, whatever the thread count.
  const auto many = WindowedShape::make(40, 8, 8, 4, s.window);
  EXPECT_EQ(im2col_plan(many, 5, 4, 1, 1).weight_groups(), 16);
  EXPECT_EQ(im2col_plan(many, 5, 4, 1, 2).weight_groups(), 16);

  const auto pointwise =
      WindowedShape::make(10, 8, 8, 4, Window2d::make(1, 1, 1, PaddingMode::kSame, 8, 8));
  EXPECT_EQ(im2col_plan(pointwise, 5, 4, 1, 2).forward_workspace_elements(), 0);
}

// The implicit engine's plan: float32 only, tiles of padded images (counted with the dx, dy
// and padded dy a backward tile touches), dx by the transposed convolution at stride 1 from 16
// input channels.
TEST(Conv2dKernel, ImplicitPlanTilesPaddedImagesAndTakesTheTransposedDxFromSixteenChannels) {
  if (!Conv2dPlan::implicit_available(sizeof(float))) {
    GTEST_SKIP() << "neither AVX2 nor AVX-512 on this CPU (or RETHINK_CPU_KERNELS=blas)";
  }
  EXPECT_FALSE(Conv2dPlan::implicit_available(sizeof(double)));
  EXPECT_THROW(Conv2dPlan::make(WindowedShape::make(1, 3, 3, 1, Window2d{}), 1, sizeof(double),
                                Conv2dPlan::default_tile_bytes(), 0, Conv2dEngine::kImplicit),
               Error);
  const auto shape = [](int64_t in_c, int64_t kernel, int64_t stride) {
    return WindowedShape::make(10, 8, 8, in_c,
                               Window2d::make(kernel, kernel, stride, PaddingMode::kSame, 8, 8));
  };
  const auto plan = [](const WindowedShape& s, int64_t out_c, int64_t tile_bytes, int threads) {
    return Conv2dPlan::make(s, out_c, sizeof(float), tile_bytes, threads, Conv2dEngine::kImplicit);
  };
  const WindowedShape s = shape(16, 3, 1);
  const int64_t padded = 10 * 10 * 16, image_elements = padded + 64 * 16 + 2 * 64 * 5;
  const auto three = plan(s, 5, 3 * image_elements * 4, 2);
  EXPECT_TRUE(three.implicit);
  EXPECT_EQ(three.tile_images, 3);
  EXPECT_EQ(three.tile_elements(), 3 * padded);
  EXPECT_TRUE(three.transposed_dx);
  EXPECT_EQ(three.dx_tile_elements(), 3 * 10 * 10 * 5);  // dy padded by kernel - 1 - pad
  EXPECT_GE(three.backward_workspace_elements(), three.forward_workspace_elements());
  EXPECT_FALSE(plan(shape(15, 3, 1), 5, 1, 1).transposed_dx);
  EXPECT_FALSE(plan(shape(16, 3, 2), 5, 1, 1).transposed_dx);
  // Stride 2 takes dcol + col2im: its per-thread buffer holds the tile's dcol rows.
  EXPECT_EQ(plan(shape(16, 3, 2), 5, 1, 1).dx_tile_elements(), 16 * 9 * 16);
  // A pointwise window reads x as it lies: no tile buffers at all.
  const auto pointwise = plan(shape(16, 1, 1), 5, 1, 2);
  EXPECT_EQ(pointwise.tile_elements(), 0);
  EXPECT_EQ(pointwise.dx_tile_elements(), 0);
}

}  // namespace
}  // namespace rethink::kernels
