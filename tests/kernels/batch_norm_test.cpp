#include "kernels/batch_norm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <tuple>
#include <vector>

#include "tests/support/data.h"
#include "tests/support/scoped_threads.h"
#include "tests/support/serial.h"

namespace rethink::kernels {
namespace {

// Naive batch norm in double, written from the definitions (Ioffe & Szegedy, Algorithm 1 and
// the chain rule through mean and variance), not from the folded form the kernels use.
struct NaiveBn {
  std::vector<double> mean, var, y;
  std::vector<double> dx, dgamma, dbeta;
};

template <class T>
NaiveBn naive_batch_norm(const std::vector<T>& x, const std::vector<T>* gamma,
                         const std::vector<T>* beta, const std::vector<T>& dy, int64_t rows,
                         int64_t cols, double eps, bool training, const std::vector<T>* run_mean,
                         const std::vector<T>* run_var) {
  NaiveBn o;
  const size_t C = static_cast<size_t>(cols);
  o.mean.assign(C, 0);
  o.var.assign(C, 0);
  o.y.assign(x.size(), 0);
  o.dx.assign(x.size(), 0);
  o.dgamma.assign(C, 0);
  o.dbeta.assign(C, 0);
  for (int64_t c = 0; c < cols; ++c) {
    double mean = 0, var = 0;
    if (training) {
      for (int64_t r = 0; r < rows; ++r) mean += double(x[r * cols + c]);
      mean /= double(rows);
      for (int64_t r = 0; r < rows; ++r) {
        const double d = double(x[r * cols + c]) - mean;
        var += d * d;
      }
      var /= double(rows);
    } else {
      mean = double((*run_mean)[c]);
      var = double((*run_var)[c]);
    }
    o.mean[c] = mean;
    o.var[c] = var;
    const double g = gamma ? double((*gamma)[c]) : 1.0;
    const double b = beta ? double((*beta)[c]) : 0.0;
    const double inv_std = 1 / std::sqrt(var + eps);
    double dvar = 0, dmean = 0, sum_centered = 0;
    for (int64_t r = 0; r < rows; ++r) {
      const size_t i = static_cast<size_t>(r * cols + c);
      const double xhat = (double(x[i]) - mean) * inv_std;
      o.y[i] = g * xhat + b;
      o.dgamma[c] += double(dy[i]) * xhat;
      o.dbeta[c] += double(dy[i]);
      const double dxhat = double(dy[i]) * g;
      dvar += dxhat * (double(x[i]) - mean) * -0.5 * std::pow(var + eps, -1.5);
      dmean += -dxhat * inv_std;
      sum_centered += -2 * (double(x[i]) - mean);
    }
    dmean += dvar * sum_centered / double(rows);
    for (int64_t r = 0; r < rows; ++r) {
      const size_t i = static_cast<size_t>(r * cols + c);
      const double dxhat = double(dy[i]) * g;
      o.dx[i] = training ? dxhat * inv_std + dvar * 2 * (double(x[i]) - mean) / double(rows) +
                               dmean / double(rows)
                         : dxhat * inv_std;
    }
  }
  return o;
}

template <class T>
double tolerance() {
  return sizeof(T) == 4 ? 2e-5 : 1e-12;
}

template <class T>
void expect_close(const std::vector<T>& got, const std::vector<double>& want, const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_NEAR(double(got[i]), want[i], tolerance<T>() * (1 + std::abs(want[i])))
        << what << " element " << i;
  }
}

template <class T>
class BatchNormKernelTest : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(BatchNormKernelTest, FloatTypes);

// (rows, channels): one channel, odd channel counts, a single row chunk and several, with a
// partial last chunk (kBatchNormRowChunk + 1, 3 * chunk + 5).
const std::vector<std::pair<int64_t, int64_t>> kShapes = {{2, 1},   {4, 3},    {9, 5},  {16, 7},
                                                          {257, 3}, {773, 33}, {300, 1}};

struct AffineMode {
  bool gamma;
  bool beta;
};
const std::vector<AffineMode> kAffine = {
    {false, false}, {false, true}, {true, true}, {true, false}};

TYPED_TEST(BatchNormKernelTest, TrainingForwardMatchesNaive) {
  using T = TypeParam;
  for (const auto& [rows, cols] : kShapes) {
    for (const AffineMode mode : kAffine) {
      SCOPED_TRACE(::testing::Message()
                   << rows << "x" << cols << " gamma " << mode.gamma << " beta " << mode.beta);
      const auto x = test::uniform_values<T>(rows * cols, 1, -2, 3);
      const auto gamma = test::uniform_values<T>(cols, 2, 0.5, 1.5);
      const auto beta = test::uniform_values<T>(cols, 3);
      const auto dy = test::uniform_values<T>(rows * cols, 4);
      const NaiveBn want =
          naive_batch_norm<T>(x, mode.gamma ? &gamma : nullptr, mode.beta ? &beta : nullptr, dy,
                              rows, cols, 1e-3, true, nullptr, nullptr);
      std::vector<T> y(x.size(), T(-7)), mean(cols), var(cols), inv_std(cols);
      std::vector<char> ws(static_cast<size_t>(cpu::batch_norm_workspace_bytes(rows, cols)) + 8);
      cpu::batch_norm_forward_training(x.data(), mode.gamma ? gamma.data() : nullptr,
                                       mode.beta ? beta.data() : nullptr, rows, cols, 1e-3,
                                       y.data(), mean.data(), var.data(), inv_std.data(),
                                       static_cast<void*>(ws.data()));
      expect_close(y, want.y, "y");
      expect_close(mean, want.mean, "mean");
      expect_close(var, want.var, "variance");
      std::vector<double> want_inv_std(static_cast<size_t>(cols));
      for (int64_t c = 0; c < cols; ++c) want_inv_std[c] = 1 / std::sqrt(want.var[c] + 1e-3);
      expect_close(inv_std, want_inv_std, "inv_std");
    }
  }
}

TYPED_TEST(BatchNormKernelTest, TrainingBackwardMatchesNaive) {
  using T = TypeParam;
  for (const auto& [rows, cols] : kShapes) {
    for (const AffineMode mode : kAffine) {
      SCOPED_TRACE(::testing::Message()
                   << rows << "x" << cols << " gamma " << mode.gamma << " beta " << mode.beta);
      const auto x = test::uniform_values<T>(rows * cols, 5, -2, 3);
      const auto gamma = test::uniform_values<T>(cols, 6, 0.5, 1.5);
      const auto beta = test::uniform_values<T>(cols, 7);
      const auto dy = test::uniform_values<T>(rows * cols, 8);
      const T* g = mode.gamma ? gamma.data() : nullptr;
      const NaiveBn want =
          naive_batch_norm<T>(x, mode.gamma ? &gamma : nullptr, mode.beta ? &beta : nullptr, dy,
                              rows, cols, 1e-3, true, nullptr, nullptr);
      std::vector<T> y(x.size()), mean(cols), var(cols), inv_std(cols);
      std::vector<double> ws(static_cast<size_t>(cpu::batch_norm_workspace_bytes(rows, cols)) / 8);
      cpu::batch_norm_forward_training(x.data(), g, mode.beta ? beta.data() : nullptr, rows, cols,
                                       1e-3, y.data(), mean.data(), var.data(), inv_std.data(),
                                       static_cast<void*>(ws.data()));
      std::vector<T> dx(x.size(), T(-7)), dgamma(cols, T(-7)), dbeta(cols, T(-7));
      cpu::BatchNormGradients<T> grads{dx.data(), dgamma.data(), dbeta.data()};
      cpu::batch_norm_backward(x.data(), dy.data(), g, mean.data(), inv_std.data(), rows, cols,
                               true, grads, static_cast<void*>(ws.data()));
      // The gradient of a normalized batch sums to ~zero per channel; compare absolutely.
      expect_close(dx, want.dx, "dx");
      expect_close(dgamma, want.dgamma, "dgamma");
      expect_close(dbeta, want.dbeta, "dbeta");
    }
  }
}

TYPED_TEST(BatchNormKernelTest, InferenceForwardAndBackwardMatchNaive) {
  using T = TypeParam;
  for (const auto& [rows, cols] : kShapes) {
    for (const AffineMode mode : kAffine) {
      SCOPED_TRACE(::testing::Message()
                   << rows << "x" << cols << " gamma " << mode.gamma << " beta " << mode.beta);
      const auto x = test::uniform_values<T>(rows * cols, 9, -2, 3);
      const auto gamma = test::uniform_values<T>(cols, 10, 0.5, 1.5);
      const auto beta = test::uniform_values<T>(cols, 11);
      const auto dy = test::uniform_values<T>(rows * cols, 12);
      const auto run_mean = test::uniform_values<T>(cols, 13);
      const auto run_var = test::uniform_values<T>(cols, 14, 0.2, 3);
      const T* g = mode.gamma ? gamma.data() : nullptr;
      const NaiveBn want =
          naive_batch_norm<T>(x, mode.gamma ? &gamma : nullptr, mode.beta ? &beta : nullptr, dy,
                              rows, cols, 1e-3, false, &run_mean, &run_var);
      std::vector<double> ws(static_cast<size_t>(cpu::batch_norm_workspace_bytes(rows, cols)) / 8);
      std::vector<T> y(x.size(), T(-7)), inv_std(cols);
      cpu::batch_norm_forward_inference(x.data(), g, mode.beta ? beta.data() : nullptr,
                                        run_mean.data(), run_var.data(), rows, cols, 1e-3, y.data(),
                                        inv_std.data(), static_cast<void*>(ws.data()));
      expect_close(y, want.y, "y");

      std::vector<T> dx(x.size(), T(-7)), dgamma(cols, T(-7)), dbeta(cols, T(-7));
      cpu::BatchNormGradients<T> grads{dx.data(), dgamma.data(), dbeta.data()};
      cpu::batch_norm_backward(x.data(), dy.data(), g, run_mean.data(), inv_std.data(), rows, cols,
                               false, grads, static_cast<void*>(ws.data()));
      expect_close(dx, want.dx, "dx");
      expect_close(dgamma, want.dgamma, "dgamma");
      expect_close(dbeta, want.dbeta, "dbeta");
    }
  }
}

// Only the wanted gradients are written; add_* adds to what the buffers hold.
TYPED_TEST(BatchNormKernelTest, BackwardWritesOnlyWhatIsAskedAndAccumulates) {
  using T = TypeParam;
  const int64_t rows = 6, cols = 3;
  const auto x = test::uniform_values<T>(rows * cols, 15);
  const auto dy = test::uniform_values<T>(rows * cols, 16);
  const auto gamma = test::uniform_values<T>(cols, 17, 0.5, 1.5);
  std::vector<T> y(x.size()), mean(cols), var(cols), inv_std(cols);
  std::vector<double> ws(static_cast<size_t>(cpu::batch_norm_workspace_bytes(rows, cols)) / 8);
  cpu::batch_norm_forward_training(x.data(), gamma.data(), static_cast<const T*>(nullptr), rows,
                                   cols, 1e-3, y.data(), mean.data(), var.data(), inv_std.data(),
                                   static_cast<void*>(ws.data()));
  std::vector<T> dgamma(cols), dbeta(cols);
  cpu::batch_norm_backward(x.data(), dy.data(), gamma.data(), mean.data(), inv_std.data(), rows,
                           cols, true,
                           cpu::BatchNormGradients<T>{nullptr, dgamma.data(), dbeta.data()},
                           static_cast<void*>(ws.data()));

  std::vector<T> dgamma_acc = {T(1), T(-2), T(0.5)}, dbeta_acc = {T(3), T(0), T(-1)};
  const std::vector<T> dgamma_before = dgamma_acc, dbeta_before = dbeta_acc;
  cpu::batch_norm_backward(
      x.data(), dy.data(), gamma.data(), mean.data(), inv_std.data(), rows, cols, true,
      cpu::BatchNormGradients<T>{nullptr, dgamma_acc.data(), dbeta_acc.data(), true, true},
      static_cast<void*>(ws.data()));
  for (int64_t c = 0; c < cols; ++c) {
    EXPECT_NEAR(double(dgamma_acc[c]), double(dgamma_before[c]) + double(dgamma[c]),
                tolerance<T>() * 10)
        << c;
    EXPECT_NEAR(double(dbeta_acc[c]), double(dbeta_before[c]) + double(dbeta[c]),
                tolerance<T>() * 10)
        << c;
  }
  // Nothing asked: nothing written (and no null pointer touched).
  cpu::batch_norm_backward(x.data(), dy.data(), gamma.data(), mean.data(), inv_std.data(), rows,
                           cols, false, cpu::BatchNormGradients<T>{},
                           static_cast<void*>(ws.data()));
}

// A large offset: E[x^2] - E[x]^2 in float would lose every digit of a variance of 1e-4 at
// mean 1000; two passes (in double) keep it.
TEST(BatchNormKernel, VarianceIsAccurateFarFromZero) {
  const int64_t rows = 1000, cols = 2;
  std::vector<float> x = test::uniform_values<float>(rows * cols, 18, -0.01, 0.01);
  for (float& v : x) v += 1000.0f;
  const std::vector<double> xd(x.begin(), x.end());
  const NaiveBn want = naive_batch_norm<double>(xd, nullptr, nullptr, std::vector<double>(x.size()),
                                                rows, cols, 1e-3, true, nullptr, nullptr);
  std::vector<float> y(x.size()), mean(cols), var(cols), inv_std(cols);
  std::vector<double> ws(static_cast<size_t>(cpu::batch_norm_workspace_bytes(rows, cols)) / 8);
  cpu::batch_norm_forward_training(
      x.data(), static_cast<const float*>(nullptr), static_cast<const float*>(nullptr), rows, cols,
      1e-3, y.data(), mean.data(), var.data(), inv_std.data(), static_cast<void*>(ws.data()));
  for (int64_t c = 0; c < cols; ++c) {
    EXPECT_NEAR(var[c], want.var[c], 1e-6 * want.var[c]) << c;
  }
}

struct ThreadedRun {
  std::vector<float> y, mean, var, inv_std, dx, dgamma, dbeta;
};

ThreadedRun run_with_threads(int threads, const std::vector<float>& x, const std::vector<float>& dy,
                             const std::vector<float>& gamma, const std::vector<float>& beta,
                             int64_t rows, int64_t cols) {
  test::ScopedOmpThreads scoped(threads);
  ThreadedRun o{std::vector<float>(x.size()), std::vector<float>(cols),
                std::vector<float>(cols),     std::vector<float>(cols),
                std::vector<float>(x.size()), std::vector<float>(cols),
                std::vector<float>(cols)};
  std::vector<double> ws(static_cast<size_t>(cpu::batch_norm_workspace_bytes(rows, cols)) / 8);
  cpu::batch_norm_forward_training(x.data(), gamma.data(), beta.data(), rows, cols, 1e-3,
                                   o.y.data(), o.mean.data(), o.var.data(), o.inv_std.data(),
                                   static_cast<void*>(ws.data()));
  cpu::batch_norm_backward(
      x.data(), dy.data(), gamma.data(), o.mean.data(), o.inv_std.data(), rows, cols, true,
      cpu::BatchNormGradients<float>{o.dx.data(), o.dgamma.data(), o.dbeta.data()},
      static_cast<void*>(ws.data()));
  return o;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(BatchNormKernel, SameBitsForOneAndTwoThreads) {
  const int64_t rows = 5000, cols = 37;  // well past the parallel threshold; partial last chunk
  const auto x = test::uniform_values<float>(rows * cols, 19, -3, 5);
  const auto dy = test::uniform_values<float>(rows * cols, 20);
  const auto gamma = test::uniform_values<float>(cols, 21, 0.5, 1.5);
  const auto beta = test::uniform_values<float>(cols, 22);
  const ThreadedRun one = run_with_threads(1, x, dy, gamma, beta, rows, cols);
  const ThreadedRun two = run_with_threads(2, x, dy, gamma, beta, rows, cols);
  EXPECT_TRUE(same_bits(one.y, two.y));
  EXPECT_TRUE(same_bits(one.mean, two.mean));
  EXPECT_TRUE(same_bits(one.var, two.var));
  EXPECT_TRUE(same_bits(one.dx, two.dx));
  EXPECT_TRUE(same_bits(one.dgamma, two.dgamma));
  EXPECT_TRUE(same_bits(one.dbeta, two.dbeta));
}

// The functors, called one index at a time as a GPU thread would, against the formula; the
// flat and the (row, column) forms agree bit for bit.
TYPED_TEST(BatchNormKernelTest, FunctorsMatchFormulaIndexByIndex) {
  using T = TypeParam;
  const int64_t rows = 7, cols = 5, n = rows * cols;
  const auto x = test::uniform_values<T>(n, 23);
  const auto dy = test::uniform_values<T>(n, 24);
  const auto mean = test::uniform_values<T>(cols, 25);
  const auto scale = test::uniform_values<T>(cols, 26);
  const auto shift = test::uniform_values<T>(cols, 27);
  const auto mean_dy = test::uniform_values<T>(cols, 28);
  const auto coef = test::uniform_values<T>(cols, 29);

  std::vector<T> flat(n), by_rc(n);
  test::run_each_index(
      n, BatchNormApply<T>{x.data(), mean.data(), scale.data(), shift.data(), cols, flat.data()});
  test::run_each_row_col(
      rows, cols,
      BatchNormApply<T>{x.data(), mean.data(), scale.data(), shift.data(), cols, by_rc.data()});
  EXPECT_EQ(flat, by_rc);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = i % cols;
    EXPECT_NEAR(double(flat[i]), (double(x[i]) - mean[c]) * scale[c] + shift[c], tolerance<T>());
  }

  test::run_each_index(
      n, BatchNormBackwardApply<T>{x.data(), dy.data(), mean.data(), mean_dy.data(), coef.data(),
                                   scale.data(), cols, flat.data()});
  test::run_each_row_col(rows, cols,
                         BatchNormBackwardApply<T>{x.data(), dy.data(), mean.data(), mean_dy.data(),
                                                   coef.data(), scale.data(), cols, by_rc.data()});
  EXPECT_EQ(flat, by_rc);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = i % cols;
    const double want =
        (double(dy[i]) - mean_dy[c] - (double(x[i]) - mean[c]) * coef[c]) * scale[c];
    EXPECT_NEAR(double(flat[i]), want, tolerance<T>());
  }

  test::run_each_index(n, BatchNormBackwardFrozen<T>{dy.data(), scale.data(), cols, flat.data()});
  test::run_each_row_col(rows, cols,
                         BatchNormBackwardFrozen<T>{dy.data(), scale.data(), cols, by_rc.data()});
  EXPECT_EQ(flat, by_rc);
  for (int64_t i = 0; i < n; ++i) {
    EXPECT_NEAR(double(flat[i]), double(dy[i]) * scale[i % cols], tolerance<T>());
  }
}

TYPED_TEST(BatchNormKernelTest, MovingAverageFollowsTheTensorFlowFormula) {
  using T = TypeParam;
  const int64_t cols = 4, rows = 10;
  const double decay = 0.9;
  const auto m1 = test::uniform_values<T>(cols, 30), v1 = test::uniform_values<T>(cols, 31, 0, 2);
  const auto m2 = test::uniform_values<T>(cols, 32), v2 = test::uniform_values<T>(cols, 33, 0, 2);
  std::vector<T> acc_m(cols, T(0)), acc_v(cols, T(0)), cor_m(cols), cor_v(cols);
  cpu::batch_norm_update_moving(m1.data(), v1.data(), rows, cols, decay, decay, acc_m.data(),
                                acc_v.data(), cor_m.data(), cor_v.data());
  // One update: the correction divides out (1 - decay) exactly; the variance is unbiased.
  for (int64_t c = 0; c < cols; ++c) {
    EXPECT_NEAR(double(cor_m[c]), double(m1[c]), tolerance<T>()) << c;
    EXPECT_NEAR(double(cor_v[c]), double(v1[c]) * rows / (rows - 1), tolerance<T>()) << c;
  }
  // Second update through the functor, one channel at a time.
  test::run_each_index(
      cols, BatchNormMovingAverage<T>{m2.data(), v2.data(), decay, double(rows) / (rows - 1),
                                      1 / (1 - decay * decay), acc_m.data(), acc_v.data(),
                                      cor_m.data(), cor_v.data()});
  const double u = double(rows) / (rows - 1);
  for (int64_t c = 0; c < cols; ++c) {
    const double am = decay * (1 - decay) * m1[c] + (1 - decay) * m2[c];
    const double av = decay * (1 - decay) * v1[c] * u + (1 - decay) * v2[c] * u;
    EXPECT_NEAR(double(acc_m[c]), am, tolerance<T>()) << c;
    EXPECT_NEAR(double(acc_v[c]), av, tolerance<T>()) << c;
    EXPECT_NEAR(double(cor_m[c]), am / (1 - decay * decay), tolerance<T>()) << c;
    EXPECT_NEAR(double(cor_v[c]), av / (1 - decay * decay), tolerance<T>()) << c;
  }
}

TEST(BatchNormKernel, CoefficientsFoldGammaAndBeta) {
  const std::vector<double> var = {0.5, 2}, gamma = {2, -1}, beta = {0.25, 3};
  std::vector<double> inv_std(2), scale(2), shift(2);
  test::run_each_index(
      2, BatchNormCoefficients<double>{var.data(), gamma.data(), beta.data(), 1e-3, inv_std.data(),
                                       scale.data(), shift.data()});
  for (int c = 0; c < 2; ++c) {
    EXPECT_DOUBLE_EQ(inv_std[c], 1 / std::sqrt(var[c] + 1e-3));
    EXPECT_DOUBLE_EQ(scale[c], gamma[c] / std::sqrt(var[c] + 1e-3));
    EXPECT_EQ(shift[c], beta[c]);
  }
  test::run_each_index(
      2, BatchNormCoefficients<double>{var.data(), nullptr, nullptr, 1e-3, inv_std.data(),
                                       scale.data(), shift.data()});
  for (int c = 0; c < 2; ++c) {
    EXPECT_EQ(scale[c], inv_std[c]);
    EXPECT_EQ(shift[c], 0.0);
  }
}

}  // namespace
}  // namespace rethink::kernels
