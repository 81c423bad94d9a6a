#include "kernels/max_pool2d.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "kernels/error.h"
#include "kernels/pool_window.h"
#include "tests/support/data.h"
#include "tests/support/scoped_threads.h"
#include "tests/support/serial.h"

namespace rethink::kernels {
namespace {

struct PoolCase {
  int64_t batch, h, w, c, kernel, stride;
  PaddingMode mode;
};

// Batch 1, 1x1 input, non-square, odd sizes, stride 2 SAME (asymmetric pads), 2x2/2 VALID,
// 3x3/1 SAME, a stride larger than the kernel (pixels no window covers), channel counts that
// are not multiples of 4, full channel groups (16 floats or 8 doubles) plus a remainder (21),
// and one case past the OpenMP threshold.
const std::vector<PoolCase> kCases = {
    {2, 6, 6, 3, 3, 2, PaddingMode::kSame},  {1, 8, 6, 5, 3, 2, PaddingMode::kSame},
    {2, 7, 7, 7, 3, 2, PaddingMode::kSame},  {1, 5, 9, 3, 3, 2, PaddingMode::kSame},
    {2, 6, 5, 4, 2, 2, PaddingMode::kValid}, {1, 5, 4, 5, 3, 1, PaddingMode::kSame},
    {3, 1, 1, 7, 3, 2, PaddingMode::kSame},  {1, 7, 9, 2, 3, 3, PaddingMode::kValid},
    {2, 7, 5, 3, 1, 3, PaddingMode::kSame},  {1, 28, 28, 1, 3, 2, PaddingMode::kSame},
    {2, 9, 8, 21, 3, 2, PaddingMode::kSame}, {4, 28, 28, 80, 3, 2, PaddingMode::kSame}};

WindowedShape shape_of(const PoolCase& p) {
  return WindowedShape::make(p.batch, p.h, p.w, p.c,
                             Window2d::make(p.kernel, p.kernel, p.stride, p.mode, p.h, p.w));
}

::testing::Message describe(const PoolCase& p) {
  return ::testing::Message() << p.batch << "x" << p.h << "x" << p.w << "x" << p.c << " kernel "
                              << p.kernel << " stride " << p.stride
                              << (p.mode == PaddingMode::kSame ? " SAME" : " VALID");
}

// The window's positions in row-major order, padded positions skipped; the first strict
// maximum wins. Also returns the winner's pixel index h * w_in + w.
template <class T>
void naive_max_pool(const std::vector<T>& x, const WindowedShape& s, std::vector<T>* y,
                    std::vector<int32_t>* argmax) {
  const Window2d& win = s.window;
  y->assign(static_cast<size_t>(s.out_pixels() * s.in_c), T(0));
  argmax->assign(y->size(), -1);
  for (int64_t n = 0; n < s.batch; ++n) {
    for (int64_t oh = 0; oh < s.out_h; ++oh) {
      for (int64_t ow = 0; ow < s.out_w; ++ow) {
        for (int64_t c = 0; c < s.in_c; ++c) {
          double best = -std::numeric_limits<double>::infinity();
          int32_t best_at = -1;
          for (int64_t kh = 0; kh < win.kernel_h; ++kh) {
            for (int64_t kw = 0; kw < win.kernel_w; ++kw) {
              const int64_t h = oh * win.stride_h - win.pad.top + kh;
              const int64_t w = ow * win.stride_w - win.pad.left + kw;
              if (h < 0 || h >= s.in_h || w < 0 || w >= s.in_w) continue;
              const double v = x[static_cast<size_t>(((n * s.in_h + h) * s.in_w + w) * s.in_c + c)];
              if (v > best) {
                best = v;
                best_at = static_cast<int32_t>(h * s.in_w + w);
              }
            }
          }
          const size_t o = static_cast<size_t>(((n * s.out_h + oh) * s.out_w + ow) * s.in_c + c);
          (*y)[o] = static_cast<T>(best);
          (*argmax)[o] = best_at;
        }
      }
    }
  }
}

// Scatters each output gradient onto its window's maximum, serially, in double.
template <class T>
std::vector<double> naive_max_pool_backward(const std::vector<T>& dy,
                                            const std::vector<int32_t>& argmax,
                                            const WindowedShape& s) {
  std::vector<double> dx(static_cast<size_t>(s.in_pixels() * s.in_c), 0.0);
  for (int64_t n = 0; n < s.batch; ++n) {
    for (int64_t p = 0; p < s.out_h * s.out_w; ++p) {
      for (int64_t c = 0; c < s.in_c; ++c) {
        const size_t o = static_cast<size_t>((n * s.out_h * s.out_w + p) * s.in_c + c);
        dx[static_cast<size_t>((n * s.in_h * s.in_w + argmax[o]) * s.in_c + c)] += dy[o];
      }
    }
  }
  return dx;
}

template <class T>
class MaxPool2dTest : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(MaxPool2dTest, FloatTypes);

TYPED_TEST(MaxPool2dTest, ForwardMatchesNaiveAndFunctor) {
  using T = TypeParam;
  for (const PoolCase& p : kCases) {
    SCOPED_TRACE(describe(p));
    const WindowedShape s = shape_of(p);
    ASSERT_GT(s.out_h, 0);
    ASSERT_GT(s.out_w, 0);
    // Mostly negative: padding that acted as 0 would win at every border.
    const std::vector<T> x = test::uniform_values<T>(s.in_pixels() * s.in_c, 1, -2.0, 0.5);
    std::vector<T> want;
    std::vector<int32_t> want_at;
    naive_max_pool(x, s, &want, &want_at);

    const size_t out = want.size();
    std::vector<T> y(out, T(-7));
    std::vector<int32_t> at(out, -7);
    cpu::max_pool2d_forward(x.data(), s, y.data(), at.data());
    EXPECT_EQ(y, want);
    EXPECT_EQ(at, want_at);

    std::vector<T> y_only(out, T(-7));
    cpu::max_pool2d_forward(x.data(), s, y_only.data(), nullptr);
    EXPECT_EQ(y_only, want);

    std::vector<T> by_index(out, T(-7));
    std::vector<int32_t> at_by_index(out, -7);
    test::run_each_index(static_cast<int64_t>(out),
                         MaxPool2dForward<T>{x.data(), by_index.data(), at_by_index.data(), s});
    EXPECT_EQ(by_index, y);
    EXPECT_EQ(at_by_index, at);
  }
}

// Three distinct values: most windows tie, and every path (full channel groups and the
// remainder) must pick the first maximum in scan order, as the naive loop does.
TYPED_TEST(MaxPool2dTest, ManyTiesMatchNaiveAndFunctor) {
  using T = TypeParam;
  for (const PoolCase& p : kCases) {
    SCOPED_TRACE(describe(p));
    const WindowedShape s = shape_of(p);
    std::vector<T> x = test::uniform_values<T>(s.in_pixels() * s.in_c, 6, -1.0, 2.0);
    for (T& v : x) v = std::floor(v);
    std::vector<T> want;
    std::vector<int32_t> want_at;
    naive_max_pool(x, s, &want, &want_at);
    std::vector<T> y(want.size());
    std::vector<int32_t> at(want.size());
    cpu::max_pool2d_forward(x.data(), s, y.data(), at.data());
    EXPECT_EQ(y, want);
    EXPECT_EQ(at, want_at);
    std::vector<int32_t> at_by_index(want.size(), -7);
    test::run_each_index(static_cast<int64_t>(want.size()),
                         MaxPool2dForward<T>{x.data(), y.data(), at_by_index.data(), s});
    EXPECT_EQ(at_by_index, want_at);
  }
}

TYPED_TEST(MaxPool2dTest, BackwardMatchesNaiveAndFunctor) {
  using T = TypeParam;
  const double tol = std::is_same_v<T, float> ? 1e-6 : 1e-14;
  for (const PoolCase& p : kCases) {
    SCOPED_TRACE(describe(p));
    const WindowedShape s = shape_of(p);
    const std::vector<T> x = test::uniform_values<T>(s.in_pixels() * s.in_c, 2);
    std::vector<T> y;
    std::vector<int32_t> at;
    naive_max_pool(x, s, &y, &at);
    const std::vector<T> dy = test::uniform_values<T>(static_cast<int64_t>(y.size()), 3);
    const std::vector<double> want = naive_max_pool_backward(dy, at, s);

    std::vector<T> dx(x.size(), T(-7));
    cpu::max_pool2d_backward(dy.data(), at.data(), s, dx.data());
    for (size_t i = 0; i < dx.size(); ++i) {
      ASSERT_NEAR(dx[i], want[i], tol * (1 + std::abs(want[i]))) << "element " << i;
    }

    std::vector<T> by_index(x.size(), T(-7));
    test::run_each_index(static_cast<int64_t>(x.size()),
                         MaxPool2dBackward<T>{dy.data(), at.data(), by_index.data(), s});
    EXPECT_EQ(by_index, dx);
  }
}

// TensorFlow SAME for 3x3 stride 2 on 4x4: pads 0 on top/left and 1 on bottom/right, so the
// windows start at rows 0 and 2 (a symmetric pad of 1 would start them at -1 and 1).
TYPED_TEST(MaxPool2dTest, SamePaddingIsAsymmetricLikeTensorFlow) {
  using T = TypeParam;
  std::vector<T> x(16);
  for (size_t i = 0; i < x.size(); ++i) x[i] = -static_cast<T>(i);  // max = top-left of window
  const WindowedShape s =
      WindowedShape::make(1, 4, 4, 1, Window2d::make(3, 3, 2, PaddingMode::kSame, 4, 4));
  ASSERT_EQ(s.out_h, 2);
  ASSERT_EQ(s.out_w, 2);
  std::vector<T> y(4);
  std::vector<int32_t> at(4);
  cpu::max_pool2d_forward(x.data(), s, y.data(), at.data());
  EXPECT_EQ(y, (std::vector<T>{T(0), T(-2), T(-8), T(-10)}));
  EXPECT_EQ(at, (std::vector<int32_t>{0, 2, 8, 10}));
}

// On ties the first maximum in row-major window order takes the whole gradient.
TYPED_TEST(MaxPool2dTest, TiesGoToTheFirstMaximumInScanOrder) {
  using T = TypeParam;
  const WindowedShape s =
      WindowedShape::make(1, 3, 3, 2, Window2d::make(3, 3, 1, PaddingMode::kSame, 3, 3));
  const std::vector<T> x(18, T(-1.5));  // all equal
  std::vector<T> y(18);
  std::vector<int32_t> at(18);
  cpu::max_pool2d_forward(x.data(), s, y.data(), at.data());
  EXPECT_EQ(y, std::vector<T>(18, T(-1.5)));
  // The first valid position of each window: row max(oh - 1, 0), column max(ow - 1, 0).
  for (int64_t oh = 0; oh < 3; ++oh) {
    for (int64_t ow = 0; ow < 3; ++ow) {
      const int32_t first =
          static_cast<int32_t>(std::max<int64_t>(oh - 1, 0) * 3 + std::max<int64_t>(ow - 1, 0));
      EXPECT_EQ(at[static_cast<size_t>((oh * 3 + ow) * 2)], first) << oh << "," << ow;
      EXPECT_EQ(at[static_cast<size_t>((oh * 3 + ow) * 2 + 1)], first) << oh << "," << ow;
    }
  }
  const std::vector<T> dy(18, T(1));
  std::vector<T> dx(18, T(-7));
  cpu::max_pool2d_backward(dy.data(), at.data(), s, dx.data());
  // Pixel (0,0) wins windows (0..1, 0..1): 4; (0,1) wins (0..1, 2): 2; (1,0) wins (2, 0..1): 2;
  // (1,1) wins (2, 2): 1; the rest win nothing.
  const std::vector<T> want = {4, 4, 2, 2, 0, 0, 2, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(dx, want);
}

TYPED_TEST(MaxPool2dTest, ResultsDoNotDependOnTheThreadCount) {
  using T = TypeParam;
  const WindowedShape s = shape_of(kCases.back());
  const std::vector<T> x = test::uniform_values<T>(s.in_pixels() * s.in_c, 4);
  const std::vector<T> dy = test::uniform_values<T>(s.out_pixels() * s.in_c, 5);
  std::vector<T> y[2], dx[2];
  std::vector<int32_t> at[2];
  for (int k = 0; k < 2; ++k) {
    test::ScopedOmpThreads threads(k + 1);
    y[k].resize(dy.size());
    at[k].resize(dy.size());
    dx[k].resize(x.size());
    cpu::max_pool2d_forward(x.data(), s, y[k].data(), at[k].data());
    cpu::max_pool2d_backward(dy.data(), at[k].data(), s, dx[k].data());
  }
  EXPECT_EQ(y[0], y[1]);
  EXPECT_EQ(at[0], at[1]);
  EXPECT_EQ(dx[0], dx[1]);
}

TEST(MaxPool2dKernel, WindowsOfOnlyPaddingAreRefused) {
  WindowedShape s =
      WindowedShape::make(1, 4, 4, 1, Window2d::make(2, 2, 1, PaddingMode::kValid, 4, 4));
  s.window.pad.top = 2;
  s.out_h = s.window.out_h(4);
  std::vector<float> x(16), y(static_cast<size_t>(s.out_pixels()));
  EXPECT_THROW(cpu::max_pool2d_forward(x.data(), s, y.data(), nullptr), Error);
}

// The spans the pooling kernels loop over, against a brute-force scan of every window.
TEST(PoolWindow, SpansMatchBruteForce) {
  for (int64_t in = 1; in <= 9; ++in) {
    for (int64_t kernel = 1; kernel <= 4; ++kernel) {
      for (int64_t stride = 1; stride <= 4; ++stride) {
        for (const PaddingMode mode : {PaddingMode::kSame, PaddingMode::kValid}) {
          const Window2d win = Window2d::make(kernel, kernel, stride, mode, in, in);
          const int64_t out = win.out_h(in);
          for (int64_t o = 0; o < out; ++o) {
            const PoolSpan span = pool_window_span(o, stride, win.pad.top, kernel, in);
            int64_t lo = in, hi = -1;
            for (int64_t i = 0; i < in; ++i) {
              const int64_t start = o * stride - win.pad.top;
              if (i >= start && i < start + kernel) {
                lo = std::min(lo, i);
                hi = std::max(hi, i);
              }
            }
            ASSERT_EQ(span.begin, lo) << in << " " << kernel << " " << stride << " o=" << o;
            ASSERT_EQ(span.end, hi + 1) << in << " " << kernel << " " << stride << " o=" << o;
          }
          for (int64_t i = 0; i < in; ++i) {
            const PoolSpan span = pool_covering_span(i, stride, win.pad.top, kernel, out);
            std::vector<int64_t> covering;
            for (int64_t o = 0; o < out; ++o) {
              const int64_t start = o * stride - win.pad.top;
              if (i >= start && i < start + kernel) covering.push_back(o);
            }
            if (covering.empty()) {
              ASSERT_GE(span.begin, span.end) << in << " " << kernel << " " << stride << " i=" << i;
            } else {
              ASSERT_EQ(span.begin, covering.front()) << in << " " << kernel << " " << stride;
              ASSERT_EQ(span.end, covering.back() + 1) << in << " " << kernel << " " << stride;
            }
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace rethink::kernels
