#include "kernels/global_avg_pool.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <tuple>
#include <type_traits>
#include <vector>

#include "kernels/error.h"
#include "tests/support/data.h"
#include "tests/support/scoped_threads.h"
#include "tests/support/serial.h"

namespace rethink::kernels {
namespace {

// (batch, pixels, channels): 1x1 maps, the Inception's 7x7x336 (more than one channel block),
// odd channel counts, and a batch past the OpenMP threshold.
const std::vector<std::tuple<int64_t, int64_t, int64_t>> kShapes = {
    {1, 1, 1}, {3, 1, 5}, {2, 49, 7}, {1, 12, 3}, {2, 49, 336}, {16, 49, 80}};

template <class T>
std::vector<double> naive_mean(const std::vector<T>& x, int64_t batch, int64_t pixels,
                               int64_t channels) {
  std::vector<double> y(static_cast<size_t>(batch * channels), 0.0);
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t c = 0; c < channels; ++c) {
      double sum = 0;
      for (int64_t p = 0; p < pixels; ++p) {
        sum += x[static_cast<size_t>((n * pixels + p) * channels + c)];
      }
      y[static_cast<size_t>(n * channels + c)] = sum / static_cast<double>(pixels);
    }
  }
  return y;
}

template <class T>
class GlobalAvgPoolTest : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(GlobalAvgPoolTest, FloatTypes);

template <class T>
double tolerance() {
  return std::is_same_v<T, float> ? 1e-6 : 1e-14;
}

TYPED_TEST(GlobalAvgPoolTest, ForwardMatchesNaiveAndFunctor) {
  using T = TypeParam;
  for (const auto& [batch, pixels, channels] : kShapes) {
    SCOPED_TRACE(::testing::Message() << batch << "x" << pixels << "x" << channels);
    const std::vector<T> x = test::uniform_values<T>(batch * pixels * channels, 1);
    const std::vector<double> want = naive_mean(x, batch, pixels, channels);
    std::vector<T> y(want.size(), T(-7));
    cpu::global_avg_pool_forward(x.data(), batch, pixels, channels, y.data());
    for (size_t i = 0; i < y.size(); ++i) {
      ASSERT_NEAR(y[i], want[i], tolerance<T>() * (1 + std::abs(want[i]))) << "element " << i;
    }

    std::vector<T> by_index(want.size(), T(-7));
    test::run_each_index(static_cast<int64_t>(y.size()),
                         GlobalAvgPoolForward<T>{x.data(), by_index.data(), pixels, channels});
    EXPECT_EQ(by_index, y);
  }
}

TYPED_TEST(GlobalAvgPoolTest, BackwardSpreadsTheGradientEvenly) {
  using T = TypeParam;
  for (const auto& [batch, pixels, channels] : kShapes) {
    SCOPED_TRACE(::testing::Message() << batch << "x" << pixels << "x" << channels);
    const std::vector<T> dy = test::uniform_values<T>(batch * channels, 2);
    std::vector<T> dx(static_cast<size_t>(batch * pixels * channels), T(-7));
    cpu::global_avg_pool_backward(dy.data(), batch, pixels, channels, dx.data());
    for (int64_t n = 0; n < batch; ++n) {
      for (int64_t p = 0; p < pixels; ++p) {
        for (int64_t c = 0; c < channels; ++c) {
          const double want = double(dy[static_cast<size_t>(n * channels + c)]) / double(pixels);
          ASSERT_NEAR(dx[static_cast<size_t>((n * pixels + p) * channels + c)], want,
                      tolerance<T>() * (1 + std::abs(want)))
              << n << "," << p << "," << c;
        }
      }
    }

    std::vector<T> by_index(dx.size(), T(-7));
    test::run_each_index(static_cast<int64_t>(dx.size()),
                         GlobalAvgPoolBackward<T>{dy.data(), by_index.data(), pixels, channels});
    EXPECT_EQ(by_index, dx);
    std::vector<T> by_row_col(dx.size(), T(-7));
    test::run_each_row_col(
        batch * pixels, channels,
        GlobalAvgPoolBackward<T>{dy.data(), by_row_col.data(), pixels, channels});
    EXPECT_EQ(by_row_col, dx);
  }
}

TYPED_TEST(GlobalAvgPoolTest, ResultsDoNotDependOnTheThreadCount) {
  using T = TypeParam;
  const auto [batch, pixels, channels] = kShapes.back();
  const std::vector<T> x = test::uniform_values<T>(batch * pixels * channels, 3);
  std::vector<T> y[2];
  for (int k = 0; k < 2; ++k) {
    test::ScopedOmpThreads threads(k + 1);
    y[k].resize(static_cast<size_t>(batch * channels));
    cpu::global_avg_pool_forward(x.data(), batch, pixels, channels, y[k].data());
  }
  EXPECT_EQ(y[0], y[1]);
}

TEST(GlobalAvgPoolKernel, EmptyImagesAreRefused) {
  std::vector<float> y(3);
  EXPECT_THROW(cpu::global_avg_pool_forward<float>(nullptr, 1, 0, 3, y.data()), Error);
}

}  // namespace
}  // namespace rethink::kernels
