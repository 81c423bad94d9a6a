#include "kernels/lrn.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "tests/support/data.h"
#include "tests/support/scoped_threads.h"
#include "tests/support/serial.h"

namespace rethink::kernels {
namespace {

// s[p, c] straight from the definition: the clipped window summed anew for every channel.
template <class T>
std::vector<double> naive_norm(const std::vector<T>& x, int64_t pixels, const LrnParams& p) {
  const int64_t channels = p.channels, r = p.depth_radius;
  std::vector<double> s(x.size());
  for (int64_t px = 0; px < pixels; ++px) {
    for (int64_t c = 0; c < channels; ++c) {
      double sum = 0;
      for (int64_t k = std::max<int64_t>(0, c - r); k <= std::min(channels - 1, c + r); ++k) {
        sum += double(x[px * channels + k]) * double(x[px * channels + k]);
      }
      s[px * channels + c] = p.bias + p.alpha * sum;
    }
  }
  return s;
}

template <class T>
std::vector<double> naive_forward(const std::vector<T>& x, int64_t pixels, const LrnParams& p) {
  const std::vector<double> s = naive_norm(x, pixels, p);
  std::vector<double> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = double(x[i]) / std::pow(s[i], p.beta);
  return y;
}

// dx = J^T dy with the Jacobian written out from the forward by the chain rule:
// dy_c/dx_j = [c == j] s_c^-beta - [|c - j| <= r] 2 alpha beta x_c x_j s_c^(-beta - 1).
template <class T>
std::vector<double> naive_backward(const std::vector<T>& x, const std::vector<T>& dy,
                                   int64_t pixels, const LrnParams& p) {
  const std::vector<double> s = naive_norm(x, pixels, p);
  const int64_t channels = p.channels;
  std::vector<double> dx(x.size());
  for (int64_t px = 0; px < pixels; ++px) {
    const int64_t o = px * channels;
    for (int64_t j = 0; j < channels; ++j) {
      double acc = 0;
      for (int64_t c = 0; c < channels; ++c) {
        double jac = c == j ? std::pow(s[o + c], -p.beta) : 0.0;
        if (std::abs(c - j) <= p.depth_radius) {
          jac -= 2 * p.alpha * p.beta * double(x[o + c]) * double(x[o + j]) *
                 std::pow(s[o + c], -p.beta - 1);
        }
        acc += double(dy[o + c]) * jac;
      }
      dx[o + j] = acc;
    }
  }
  return dx;
}

// Every element within rtol of the reference's largest value: the two backward terms may cancel
// to near zero in one element, leaving it only the rounding of terms of the row's size.
template <class T>
::testing::AssertionResult close(const std::vector<T>& got, const std::vector<double>& want,
                                 double rtol) {
  double scale = 0;
  for (double w : want) scale = std::max(scale, std::abs(w));
  for (size_t i = 0; i < got.size(); ++i) {
    const double err = std::abs(double(got[i]) - want[i]);
    if (!(err <= rtol * scale)) {
      return ::testing::AssertionFailure()
             << "element " << i << ": got " << got[i] << ", want " << want[i];
    }
  }
  return ::testing::AssertionSuccess();
}

struct Case {
  int64_t pixels;
  LrnParams params;
  double scale;  // inputs uniform in [-scale, scale)
};

// TensorFlow's defaults, AlexNet's setting on activations large enough for alpha to matter,
// radius 0, a window wider than the row, an exponent without a sqrt shortcut, channel counts
// below and above the window and not a multiple of 4, and enough elements to run in parallel.
std::vector<Case> cases() {
  const LrnParams tf_default{0, 5, 1.0, 1.0, 0.5};
  const LrnParams alexnet{0, 4, 1.0, 0.001 / 9, 0.75};
  const LrnParams radius0{0, 0, 2.0, 0.5, 1.0};
  const LrnParams wide{0, 10, 1.0, 0.1, 0.75};
  const LrnParams general{0, 2, 0.5, 0.3, 0.6};
  std::vector<Case> out;
  for (const int64_t channels : {1, 3, 5, 7, 64, 65}) {
    for (LrnParams p : {tf_default, alexnet, radius0, wide, general}) {
      p.channels = channels;
      out.push_back({3, p, p.alpha < 0.01 ? 30.0 : 2.0});
    }
  }
  out.push_back({300, {64, 4, 1.0, 0.001 / 9, 0.75}, 30.0});
  out.push_back({1, {3, 4, 1.0, 0.001 / 9, 0.75}, 30.0});
  return out;
}

template <class T>
class LrnTest : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(LrnTest, FloatTypes);

constexpr double kTol(bool is_float) { return is_float ? 2e-6 : 1e-12; }

TYPED_TEST(LrnTest, ForwardMatchesNaiveAndFunctor) {
  using T = TypeParam;
  const double tol = kTol(sizeof(T) == 4);
  for (const Case& k : cases()) {
    const LrnParams& p = k.params;
    SCOPED_TRACE(::testing::Message()
                 << "pixels " << k.pixels << " channels " << p.channels << " r " << p.depth_radius
                 << " alpha " << p.alpha << " beta " << p.beta);
    const int64_t n = k.pixels * p.channels;
    const std::vector<T> x = test::uniform_values<T>(n, 1, -k.scale, k.scale);
    std::vector<T> y(x.size(), T(-7)), inv(x.size(), T(-7));
    cpu::lrn_forward(x.data(), y.data(), inv.data(), k.pixels, p);
    EXPECT_TRUE(close(y, naive_forward(x, k.pixels, p), tol));
    std::vector<double> want_inv = naive_norm(x, k.pixels, p);
    for (double& v : want_inv) v = 1 / v;
    EXPECT_TRUE(close(inv, want_inv, tol));

    // Without an inv_norm buffer 1 / s passes through y: the same output.
    std::vector<T> y_only(x.size(), T(-7));
    cpu::lrn_forward(x.data(), y_only.data(), static_cast<T*>(nullptr), k.pixels, p);
    EXPECT_EQ(y_only, y);

    std::vector<T> by_index(x.size(), T(-7)), inv_by_index(x.size(), T(-7));
    test::run_each_index(k.pixels,
                         make_lrn_forward(x.data(), by_index.data(), inv_by_index.data(), p));
    EXPECT_EQ(by_index, y);
    EXPECT_EQ(inv_by_index, inv);
  }
}

TYPED_TEST(LrnTest, BackwardMatchesNaiveAndFunctor) {
  using T = TypeParam;
  const double tol = kTol(sizeof(T) == 4) * 5;
  for (const Case& k : cases()) {
    const LrnParams& p = k.params;
    SCOPED_TRACE(::testing::Message()
                 << "pixels " << k.pixels << " channels " << p.channels << " r " << p.depth_radius
                 << " alpha " << p.alpha << " beta " << p.beta);
    const int64_t n = k.pixels * p.channels;
    const std::vector<T> x = test::uniform_values<T>(n, 2, -k.scale, k.scale);
    const std::vector<T> dy = test::uniform_values<T>(n, 3);
    std::vector<T> y(x.size()), inv(x.size());
    cpu::lrn_forward(x.data(), y.data(), inv.data(), k.pixels, p);

    std::vector<T> dx(x.size(), T(-7));
    cpu::lrn_backward(x.data(), y.data(), inv.data(), dy.data(), dx.data(), k.pixels, p);
    EXPECT_TRUE(close(dx, naive_backward(x, dy, k.pixels, p), tol));

    std::vector<T> by_index(x.size(), T(-7));
    test::run_each_index(
        k.pixels, make_lrn_backward(x.data(), y.data(), inv.data(), dy.data(), by_index.data(), p));
    EXPECT_EQ(by_index, dx);
  }
}

// The alpha term must be visible in AlexNet's setting, or a wrong alpha convention (PyTorch's
// alpha / size) would pass every other check: all 64 channels at 30 give, away from the row's
// ends, s = 1 + (0.001 / 9) * 9 * 900 = 1.9 and y = 30 / 1.9^0.75.
TYPED_TEST(LrnTest, AlexNetSettingNormalizesLargeActivations) {
  using T = TypeParam;
  const LrnParams p{64, 4, 1.0, 0.001 / 9, 0.75};
  const std::vector<T> x(64, T(30));
  std::vector<T> y(64), inv(64);
  cpu::lrn_forward(x.data(), y.data(), inv.data(), 1, p);
  EXPECT_NEAR(double(inv[32]), 1 / 1.9, 1e-6);
  EXPECT_NEAR(double(y[32]), 30 / std::pow(1.9, 0.75), 1e-5);
  // The first channel's window holds 5 channels: s = 1 + 0.5.
  EXPECT_NEAR(double(inv[0]), 1 / 1.5, 1e-6);
}

TYPED_TEST(LrnTest, ThreadCountDoesNotChangeBits) {
  using T = TypeParam;
  const LrnParams p{64, 4, 1.0, 0.001 / 9, 0.75};
  const int64_t pixels = 1000;
  const std::vector<T> x = test::uniform_values<T>(pixels * 64, 4, -30, 30);
  const std::vector<T> dy = test::uniform_values<T>(pixels * 64, 5);
  const auto run = [&](int threads) {
    test::ScopedOmpThreads scoped(threads);
    std::vector<T> y(x.size()), inv(x.size()), dx(x.size());
    cpu::lrn_forward(x.data(), y.data(), inv.data(), pixels, p);
    cpu::lrn_backward(x.data(), y.data(), inv.data(), dy.data(), dx.data(), pixels, p);
    y.insert(y.end(), dx.begin(), dx.end());
    return y;
  };
  EXPECT_EQ(run(1), run(2));
}

TYPED_TEST(LrnTest, NoPixelsTouchesNothing) {
  using T = TypeParam;
  const LrnParams p{5, 2, 1.0, 1.0, 0.5};
  T sentinel = T(-7);
  cpu::lrn_forward(&sentinel, &sentinel, &sentinel, 0, p);
  EXPECT_EQ(sentinel, T(-7));
}

}  // namespace
}  // namespace rethink::kernels
