#include "experiments/kernel_interpolation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/error.h"
#include "tests/support/data.h"
#include "tests/support/gpu.h"

namespace rethink {
namespace {

// Gaussian elimination with partial pivoting in long double: the direct dense reference.
std::vector<double> dense_solve(std::vector<long double> a, std::vector<long double> b, int64_t n,
                                int64_t nrhs) {
  for (int64_t col = 0; col < n; ++col) {
    int64_t pivot = col;
    for (int64_t r = col + 1; r < n; ++r) {
      if (std::abs(a[r * n + col]) > std::abs(a[pivot * n + col])) pivot = r;
    }
    for (int64_t c = 0; c < n; ++c) std::swap(a[col * n + c], a[pivot * n + c]);
    for (int64_t k = 0; k < nrhs; ++k) std::swap(b[col * nrhs + k], b[pivot * nrhs + k]);
    for (int64_t r = col + 1; r < n; ++r) {
      const long double f = a[r * n + col] / a[col * n + col];
      for (int64_t c = col; c < n; ++c) a[r * n + c] -= f * a[col * n + c];
      for (int64_t k = 0; k < nrhs; ++k) b[r * nrhs + k] -= f * b[col * nrhs + k];
    }
  }
  std::vector<double> x(static_cast<size_t>(n * nrhs));
  for (int64_t r = n - 1; r >= 0; --r) {
    for (int64_t k = 0; k < nrhs; ++k) {
      long double s = b[r * nrhs + k];
      for (int64_t c = r + 1; c < n; ++c) s -= a[r * n + c] * x[c * nrhs + k];
      x[r * nrhs + k] = static_cast<double>(s / a[r * n + r]);
    }
  }
  return x;
}

long double rbf(const std::vector<double>& x, int64_t i, const std::vector<double>& y, int64_t j,
                int64_t d, double gamma) {
  long double s = 0;
  for (int64_t k = 0; k < d; ++k) {
    const long double diff = static_cast<long double>(x[i * d + k]) - y[j * d + k];
    s += diff * diff;
  }
  return std::exp(-gamma * s);
}

struct Problem {
  int64_t n = 150, m = 60, d = 12, classes = 4;
  std::vector<double> x, xt;
  std::vector<int32_t> y, yt;
  Problem() {
    x = test::uniform_values<double>(n * d, 1, 0, 1);
    xt = test::uniform_values<double>(m * d, 2, 0, 1);
    y = test::index_values(n, static_cast<uint32_t>(classes), 3);
    yt = test::index_values(m, static_cast<uint32_t>(classes), 4);
  }
  KernelInterpolationResult run(const KernelInterpolationOptions& o) const {
    return kernel_interpolate(Tensor::from_vector(Shape{n, d}, x), Tensor::from_vector(Shape{n}, y),
                              Tensor::from_vector(Shape{m, d}, xt),
                              Tensor::from_vector(Shape{m}, yt), classes, o);
  }
  // Test error, training error and RKHS norm computed densely from the definition.
  void reference(const KernelInterpolationOptions& o, double* test_error, double* train_error,
                 double* norm) const {
    std::vector<long double> k(static_cast<size_t>(n * n)), targets(static_cast<size_t>(n * classes));
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < n; ++j) k[i * n + j] = rbf(x, i, x, j, d, o.gamma) + (i == j ? o.ridge : 0);
      targets[i * classes + y[i]] = 1;
    }
    const std::vector<double> c = dense_solve(k, targets, n, classes);
    const auto error = [&](const std::vector<double>& pts, const std::vector<int32_t>& labels,
                           int64_t count) {
      int64_t wrong = 0;
      for (int64_t t = 0; t < count; ++t) {
        std::vector<long double> score(static_cast<size_t>(classes));
        for (int64_t i = 0; i < n; ++i) {
          const long double kv = rbf(pts, t, x, i, d, o.gamma);
          for (int64_t q = 0; q < classes; ++q) score[q] += kv * c[i * classes + q];
        }
        wrong += std::max_element(score.begin(), score.end()) - score.begin() != labels[t];
      }
      return static_cast<double>(wrong) / static_cast<double>(count);
    };
    *test_error = error(xt, yt, m);
    *train_error = error(x, y, n);
    long double q = 0;  // trace(C^T K C), K without the ridge
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        const long double kv = rbf(x, i, x, j, d, o.gamma);
        for (int64_t r = 0; r < classes; ++r) q += c[i * classes + r] * kv * c[j * classes + r];
      }
    }
    *norm = std::sqrt(static_cast<double>(q));
  }
};

TEST(KernelInterpolation, MatchesADirectDenseSolve) {
  const Problem p;
  KernelInterpolationOptions o;
  o.gamma = 0.5;
  o.block_bytes = 7 * p.n * 8;  // seven rows per block: several blocks and a partial one
  const KernelInterpolationResult r = p.run(o);
  double test_error = 0, train_error = 0, norm = 0;
  p.reference(o, &test_error, &train_error, &norm);
  EXPECT_EQ(r.solver, "cholesky");
  EXPECT_EQ(r.train_error, 0);  // an interpolant
  EXPECT_EQ(train_error, 0);
  EXPECT_LT(r.max_train_residual, 1e-6);
  EXPECT_DOUBLE_EQ(r.test_error, test_error);
  EXPECT_NEAR(r.rkhs_norm, norm, 1e-6 * norm);
  EXPECT_EQ(r.train_size, p.n);
  EXPECT_EQ(r.test_size, p.m);
}

TEST(KernelInterpolation, RidgeRegularizesAndStopsInterpolating) {
  const Problem p;
  KernelInterpolationOptions o;
  o.gamma = 0.5;
  o.ridge = 0.5;
  const KernelInterpolationResult r = p.run(o);
  double test_error = 0, train_error = 0, norm = 0;
  p.reference(o, &test_error, &train_error, &norm);
  EXPECT_GT(r.max_train_residual, 1e-3);
  EXPECT_DOUBLE_EQ(r.test_error, test_error);
  EXPECT_DOUBLE_EQ(r.train_error, train_error);
  EXPECT_NEAR(r.rkhs_norm, norm, 1e-6 * norm);
  KernelInterpolationOptions exact = o;
  exact.ridge = 0;
  EXPECT_LT(r.rkhs_norm, p.run(exact).rkhs_norm);  // the ridge shrinks the norm
}

TEST(KernelInterpolation, Float32AgreesWithFloat64OnAWellConditionedProblem) {
  const Problem p;
  KernelInterpolationOptions o;
  o.gamma = 2.0;  // narrow bandwidth: K close to I, well conditioned
  const KernelInterpolationResult r64 = p.run(o);
  o.float32 = true;
  const KernelInterpolationResult r32 = p.run(o);
  EXPECT_EQ(r32.train_error, 0);
  EXPECT_NEAR(r32.rkhs_norm, r64.rkhs_norm, 1e-3 * r64.rkhs_norm);
  EXPECT_NEAR(r32.test_error, r64.test_error, 2.0 / p.m);
}

TEST(KernelInterpolation, RefusesARunThatDoesNotFitNamingTheSizeAndTheFix) {
  KernelInterpolationOptions o;
  const int64_t n = 60000, m = 10000, d = 784;
  const int64_t needed = kernel_interpolation_bytes(n, m, d, o);
  EXPECT_GT(needed, n * n * 8);
  EXPECT_EQ(kernel_memory_refusal(n, m, d, o, needed), "");
  const std::string msg = kernel_memory_refusal(n, m, d, o, int64_t{16} << 30);
  EXPECT_NE(msg.find("60000-point"), std::string::npos) << msg;
  EXPECT_NE(msg.find("16.0 GiB available"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--float32"), std::string::npos) << msg;
  // The suggested subset fits and one more point would not.
  const size_t at = msg.find("--subset ") + 9;
  const int64_t suggested = std::stoll(msg.substr(at));
  EXPECT_LE(kernel_interpolation_bytes(suggested, m, d, o), int64_t{16} << 30);
  EXPECT_GT(kernel_interpolation_bytes(suggested + 1, m, d, o), int64_t{16} << 30);
}

// On a GPU the memory is the device's: the caller's float64 rows stay on the host, and the
// refusal names the device.
TEST(KernelInterpolation, OnAGpuTheRefusalCountsDeviceMemoryAndNamesTheDevice) {
  KernelInterpolationOptions cpu, gpu;
  gpu.device = Device::cuda(1);
  const int64_t n = 60000, m = 10000, d = 784;
  EXPECT_EQ(kernel_interpolation_bytes(n, m, d, cpu) - kernel_interpolation_bytes(n, m, d, gpu),
            8 * (n + m) * d);
  EXPECT_GT(kernel_interpolation_bytes(n, m, d, gpu), n * n * 8);
  const int64_t available = int64_t{16} << 30;
  const std::string msg = kernel_memory_refusal(n, m, d, gpu, available);
  EXPECT_NE(msg.find("but cuda:1 has 16.0 GiB available"), std::string::npos) << msg;
  EXPECT_NE(kernel_memory_refusal(n, m, d, cpu, available).find("this machine has"),
            std::string::npos);
  const size_t at = msg.find("--subset ") + 9;
  const int64_t suggested = std::stoll(msg.substr(at));
  EXPECT_LE(kernel_interpolation_bytes(suggested, m, d, gpu), available);
  EXPECT_GT(kernel_interpolation_bytes(suggested + 1, m, d, gpu), available);
}

// Without a usable GPU a device run stops at once with the reason (tests/gpu/ holds the runs
// on a GPU: kernel_interpolation_parity_test.cpp).
TEST(KernelInterpolation, ADeviceRunWithoutAGpuSaysWhy) {
  const std::string why = test::why_no_usable_gpu();
  if (why.empty()) GTEST_SKIP() << "a GPU is usable here: the gpu suite runs on it";
  const Problem p;
  KernelInterpolationOptions o;
  o.device = Device::cuda(0);
  try {
    p.run(o);
    ADD_FAILURE() << "a run on cuda:0 went ahead without a GPU";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("use --device cpu"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace rethink
