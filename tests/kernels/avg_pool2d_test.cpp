#include "kernels/avg_pool2d.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "kernels/error.h"
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
// are not multiples of 4, full channel groups plus a remainder (21), and one case past the OpenMP
// threshold with more channels than one channel block (64).
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

// Whether input position (h, w) lies in output (oh, ow)'s window (padding excluded).
bool in_window(const WindowedShape& s, int64_t oh, int64_t ow, int64_t h, int64_t w) {
  const Window2d& win = s.window;
  const int64_t h0 = oh * win.stride_h - win.pad.top;
  const int64_t w0 = ow * win.stride_w - win.pad.left;
  return h >= h0 && h < h0 + win.kernel_h && w >= w0 && w < w0 + win.kernel_w && h >= 0 &&
         h < s.in_h && w >= 0 && w < s.in_w;
}

// Mean over every input pixel inside the window; padding neither adds nor counts.
template <class T>
std::vector<double> naive_avg_pool(const std::vector<T>& x, const WindowedShape& s) {
  std::vector<double> y(static_cast<size_t>(s.out_pixels() * s.in_c));
  for (int64_t n = 0; n < s.batch; ++n) {
    for (int64_t oh = 0; oh < s.out_h; ++oh) {
      for (int64_t ow = 0; ow < s.out_w; ++ow) {
        for (int64_t c = 0; c < s.in_c; ++c) {
          double sum = 0;
          int64_t count = 0;
          for (int64_t h = 0; h < s.in_h; ++h) {
            for (int64_t w = 0; w < s.in_w; ++w) {
              if (!in_window(s, oh, ow, h, w)) continue;
              sum += x[static_cast<size_t>(((n * s.in_h + h) * s.in_w + w) * s.in_c + c)];
              ++count;
            }
          }
          y[static_cast<size_t>(((n * s.out_h + oh) * s.out_w + ow) * s.in_c + c)] =
              sum / static_cast<double>(count);
        }
      }
    }
  }
  return y;
}

// dx[h, w] = sum over the windows holding (h, w) of dy / that window's count.
template <class T>
std::vector<double> naive_avg_pool_backward(const std::vector<T>& dy, const WindowedShape& s) {
  std::vector<double> dx(static_cast<size_t>(s.in_pixels() * s.in_c), 0.0);
  for (int64_t n = 0; n < s.batch; ++n) {
    for (int64_t oh = 0; oh < s.out_h; ++oh) {
      for (int64_t ow = 0; ow < s.out_w; ++ow) {
        int64_t count = 0;
        for (int64_t h = 0; h < s.in_h; ++h) {
          for (int64_t w = 0; w < s.in_w; ++w) count += in_window(s, oh, ow, h, w);
        }
        for (int64_t h = 0; h < s.in_h; ++h) {
          for (int64_t w = 0; w < s.in_w; ++w) {
            if (!in_window(s, oh, ow, h, w)) continue;
            for (int64_t c = 0; c < s.in_c; ++c) {
              dx[static_cast<size_t>(((n * s.in_h + h) * s.in_w + w) * s.in_c + c)] +=
                  dy[static_cast<size_t>(((n * s.out_h + oh) * s.out_w + ow) * s.in_c + c)] /
                  static_cast<double>(count);
            }
          }
        }
      }
    }
  }
  return dx;
}

template <class T>
class AvgPool2dTest : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(AvgPool2dTest, FloatTypes);

template <class T>
double tolerance() {
  return std::is_same_v<T, float> ? 1e-6 : 1e-14;
}

TYPED_TEST(AvgPool2dTest, ForwardMatchesNaiveAndFunctor) {
  using T = TypeParam;
  for (const PoolCase& p : kCases) {
    SCOPED_TRACE(describe(p));
    const WindowedShape s = shape_of(p);
    // Shifted away from zero: a pad counted in the mean would shrink border outputs.
    const std::vector<T> x = test::uniform_values<T>(s.in_pixels() * s.in_c, 1, 0.5, 2.0);
    const std::vector<double> want = naive_avg_pool(x, s);

    std::vector<T> y(want.size(), T(-7));
    cpu::avg_pool2d_forward(x.data(), s, y.data());
    for (size_t i = 0; i < y.size(); ++i) {
      ASSERT_NEAR(y[i], want[i], tolerance<T>() * (1 + std::abs(want[i]))) << "element " << i;
    }

    std::vector<T> by_index(want.size(), T(-7));
    test::run_each_index(static_cast<int64_t>(y.size()),
                         AvgPool2dForward<T>{x.data(), by_index.data(), s});
    EXPECT_EQ(by_index, y);
  }
}

TYPED_TEST(AvgPool2dTest, BackwardMatchesNaiveAndFunctor) {
  using T = TypeParam;
  for (const PoolCase& p : kCases) {
    SCOPED_TRACE(describe(p));
    const WindowedShape s = shape_of(p);
    const std::vector<T> dy = test::uniform_values<T>(s.out_pixels() * s.in_c, 2);
    const std::vector<double> want = naive_avg_pool_backward(dy, s);

    std::vector<T> dx(want.size(), T(-7));
    cpu::avg_pool2d_backward(dy.data(), s, dx.data());
    for (size_t i = 0; i < dx.size(); ++i) {
      ASSERT_NEAR(dx[i], want[i], tolerance<T>() * (1 + std::abs(want[i]))) << "element " << i;
    }

    std::vector<T> by_index(want.size(), T(-7));
    test::run_each_index(static_cast<int64_t>(dx.size()),
                         AvgPool2dBackward<T>{dy.data(), by_index.data(), s});
    EXPECT_EQ(by_index, dx);
  }
}

// TensorFlow divides by the valid positions: on a 3x3 image of ones under a 3x3 stride-1 SAME
// window every output is exactly 1 (a kernel^2 divisor would give 4/9 in the corners and 6/9
// on the edges). With x = index the corner means are hand-computable.
TYPED_TEST(AvgPool2dTest, DividesByTheValidPositionsOnly) {
  using T = TypeParam;
  const WindowedShape s =
      WindowedShape::make(1, 3, 3, 1, Window2d::make(3, 3, 1, PaddingMode::kSame, 3, 3));
  std::vector<T> y(9);
  const std::vector<T> ones(9, T(1));
  cpu::avg_pool2d_forward(ones.data(), s, y.data());
  EXPECT_EQ(y, std::vector<T>(9, T(1)));

  const std::vector<T> x = {0, 1, 2, 3, 4, 5, 6, 7, 8};
  cpu::avg_pool2d_forward(x.data(), s, y.data());
  EXPECT_EQ(y[0], T(2));    // (0 + 1 + 3 + 4) / 4
  EXPECT_EQ(y[1], T(2.5));  // (0 + 1 + 2 + 3 + 4 + 5) / 6
  EXPECT_EQ(y[4], T(4));    // all nine
  EXPECT_EQ(y[8], T(6));    // (4 + 5 + 7 + 8) / 4

  // The corner pixel (0, 0) lies in windows (0..1, 0..1) with counts 4, 6, 6, 9.
  const std::vector<T> dy(9, T(1));
  std::vector<T> dx(9);
  cpu::avg_pool2d_backward(dy.data(), s, dx.data());
  EXPECT_NEAR(dx[0], 1.0 / 4 + 2.0 / 6 + 1.0 / 9, 1e-6);
}

TYPED_TEST(AvgPool2dTest, ResultsDoNotDependOnTheThreadCount) {
  using T = TypeParam;
  const WindowedShape s = shape_of(kCases.back());
  const std::vector<T> x = test::uniform_values<T>(s.in_pixels() * s.in_c, 4);
  const std::vector<T> dy = test::uniform_values<T>(s.out_pixels() * s.in_c, 5);
  std::vector<T> y[2], dx[2];
  for (int k = 0; k < 2; ++k) {
    test::ScopedOmpThreads threads(k + 1);
    y[k].resize(dy.size());
    dx[k].resize(x.size());
    cpu::avg_pool2d_forward(x.data(), s, y[k].data());
    cpu::avg_pool2d_backward(dy.data(), s, dx[k].data());
  }
  EXPECT_EQ(y[0], y[1]);
  EXPECT_EQ(dx[0], dx[1]);
}

TEST(AvgPool2dKernel, WindowsOfOnlyPaddingAreRefused) {
  WindowedShape s =
      WindowedShape::make(1, 4, 4, 1, Window2d::make(2, 2, 1, PaddingMode::kValid, 4, 4));
  s.window.pad.left = 2;
  s.out_w = s.window.out_w(4);
  std::vector<float> x(16), y(static_cast<size_t>(s.out_pixels()));
  EXPECT_THROW(cpu::avg_pool2d_forward(x.data(), s, y.data()), Error);
}

}  // namespace
}  // namespace rethink::kernels
