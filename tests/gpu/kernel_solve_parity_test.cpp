// Parity of kernel interpolation's building blocks (kernels/rbf_kernel.h, kernels/linear_solve.h):
// squared norms, RBF blocks and the ridge through cuBLAS and the shared functors; Cholesky
// (potrf + potrs) and LU (getrf + getrs) through cuSOLVER's 64-bit API, including the fallback
// from a matrix that is not positive definite. Each case runs on the CPU (float32 and float64)
// and on the device under test with poisoned outputs (tests/support/parity.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/linear_solve.h"
#include "kernels/rbf_kernel.h"
#include "runtime/cuda_context.h"
#include "tests/support/data.h"
#include "tests/support/device_test.h"
#include "tests/support/parity.h"

namespace rethink {
namespace {

using test::Tolerance;
namespace kc = kernels::cpu;
namespace kg = kernels::cuda;

template <class D>
class KernelSolveParity : public test::DeviceTest<D> {};
TYPED_TEST_SUITE(KernelSolveParity, test::Devices, test::DeviceNames);

struct RbfCase {
  int64_t rows, cols, d, ldk;
};

// Norms of x [rows, d] and y [cols, d], then k [rows, ldk] = rbf(x, y) (+ ridge on the
// diagonal) on the inputs' device; k starts as in[2], so columns past `cols` must come back
// as they were.
std::vector<Tensor> rbf_on(const std::vector<Tensor>& in, const RbfCase& c, double gamma,
                           double ridge) {
  const Device device = in[0].device();
  const Tensor xn = Tensor::empty(Shape{c.rows}, in[0].dtype(), device);
  const Tensor yn = Tensor::empty(Shape{c.cols}, in[0].dtype(), device);
  const Tensor k = in[2].clone();
  const int64_t diagonal = std::min(c.rows, c.cols);
  dispatch_floating(in[0].dtype(), "rbf", [&]<class T>() {
    const T* x = in[0].data<T>();
    const T* y = in[1].data<T>();
    if (device.is_cpu()) {
      kc::squared_norms(x, c.rows, c.d, xn.data<T>());
      kc::squared_norms(y, c.cols, c.d, yn.data<T>());
      kc::rbf_block(x, xn.data<T>(), c.rows, y, yn.data<T>(), c.cols, c.d, T(gamma), k.data<T>(),
                    c.ldk);
      kc::add_ridge(T(ridge), diagonal, k.data<T>(), c.ldk);
    } else if constexpr (kBuiltWithCuda) {
      const kernels::cuda::Context ctx = cuda_context(device);
      kg::squared_norms(x, c.rows, c.d, xn.data<T>(), ctx.stream);
      kg::squared_norms(y, c.cols, c.d, yn.data<T>(), ctx.stream);
      kg::rbf_block(ctx, x, xn.data<T>(), c.rows, y, yn.data<T>(), c.cols, c.d, T(gamma),
                    k.data<T>(), c.ldk);
      kg::add_ridge(T(ridge), diagonal, k.data<T>(), c.ldk, ctx.stream);
    }
  });
  return {xn, yn, k};
}

// Odd shapes inside a wider matrix, one column, one row, the paper's d = 784 and, on a GPU,
// more rows than a grid's y dimension holds (65,535: the row loop then strides).
TYPED_TEST(KernelSolveParity, RbfBlocksMatchTheCpu) {
  std::vector<RbfCase> cases = {
      {37, 23, 11, 30}, {1, 300, 784, 300}, {300, 1, 784, 1}, {257, 129, 3, 131}};
  if (this->on_cuda()) cases.push_back({70000, 3, 5, 3});
  for (const RbfCase& c : cases) {
    SCOPED_TRACE(::testing::Message() << c.rows << " x " << c.cols << ", d " << c.d);
    test::expect_parity(
        this->device(),
        [&](const std::vector<Tensor>& in) { return rbf_on(in, c, 0.3 / c.d, 0.25); },
        {test::uniform_tensor(Shape{c.rows * c.d}, 1, 0, 1),
         test::uniform_tensor(Shape{c.cols * c.d}, 2, 0, 1),
         Tensor::full(Shape{c.rows * c.ldk}, -5)},
        {Tolerance::elementwise(), Tolerance::elementwise(), Tolerance::elementwise()});
  }
}

// On both devices a point against itself is exactly 1 (the clamp at 0), however its
// coordinates round.
TYPED_TEST(KernelSolveParity, APointAgainstItselfIsExactlyOne) {
  const RbfCase c{5, 5, 64, 5};
  const Tensor x = test::uniform_tensor(Shape{c.rows * c.d}, 3, 100, 101).to(this->device());
  const Tensor k =
      rbf_on({x, x, Tensor::zeros(Shape{c.rows * c.ldk}).to(this->device())}, c, 1e-6, 0)[2];
  const std::vector<float> v = k.to(Device::cpu()).to_vector<float>();
  for (int64_t i = 0; i < c.rows; ++i) {
    EXPECT_LE(v[i * c.ldk + i], 1.0f);
    EXPECT_NEAR(v[i * c.ldk + i], 1.0f, 1e-3);
  }
}

// A symmetric positive definite [n, n] (B B^T + n I) with garbage above the diagonal, which
// Cholesky must not read.
Tensor spd_lower(int64_t n, uint64_t seed) {
  const std::vector<double> b = test::uniform_values<double>(n * n, seed);
  std::vector<float> a(static_cast<size_t>(n * n));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double s = i == j ? double(n) : 0.0;
      for (int64_t k = 0; k < n; ++k) s += b[i * n + k] * b[j * n + k];
      a[i * n + j] = j <= i ? static_cast<float>(s) : 1e30f;
    }
  }
  return Tensor::from_vector(Shape{n * n}, a);
}

// A symmetric indefinite [n, n]: diagonal +-(1 + i / n) plus a small symmetric perturbation;
// well conditioned, and Cholesky fails on it.
Tensor indefinite(int64_t n, uint64_t seed) {
  const std::vector<double> b = test::uniform_values<double>(n * n, seed);
  std::vector<float> a(static_cast<size_t>(n * n));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      const double diagonal = i == j ? (i % 2 == 0 ? 1.0 : -1.0) * (1.0 + double(i) / n) : 0.0;
      a[i * n + j] = static_cast<float>(diagonal + 0.1 * (b[i * n + j] + b[j * n + i]) / n);
    }
  }
  return Tensor::from_vector(Shape{n * n}, a);
}

// A general [n, n], (n + 1) I + B: well conditioned, not symmetric.
Tensor general(int64_t n, uint64_t seed) {
  std::vector<float> a = test::uniform_values<float>(n * n, seed);
  for (int64_t i = 0; i < n; ++i) a[i * n + i] += static_cast<float>(n + 1);
  return Tensor::from_vector(Shape{n * n}, a);
}

enum class Solver { kCholesky, kLu };

// Solves a x = b (b [nrhs, n]) on the inputs' device, in place on copies; returns whether the
// factorization succeeded.
template <class T>
bool solve_on(Solver solver, const Tensor& a, int64_t n, const Tensor& b, int64_t nrhs) {
  const Device device = a.device();
  if (device.is_cpu()) {
    return solver == Solver::kCholesky ? kc::cholesky_solve(a.data<T>(), n, b.data<T>(), nrhs)
                                       : kc::lu_solve_transposed(a.data<T>(), n, b.data<T>(), nrhs);
  }
  if constexpr (kBuiltWithCuda) {
    const kernels::cuda::Context ctx = solver_context(device);
    const Tensor ws =
        Tensor::empty(Shape{kg::solve_workspace_bytes(ctx, a.data<T>(), n)}, DType::kUInt8, device);
    return solver == Solver::kCholesky ? kg::cholesky_solve(ctx, a.data<T>(), n, b.data<T>(), nrhs,
                                                            ws.raw_data(), ws.numel())
                                       : kg::lu_solve_transposed(ctx, a.data<T>(), n, b.data<T>(),
                                                                 nrhs, ws.raw_data(), ws.numel());
  }
  return false;
}

std::vector<Tensor> solved(Solver solver, const std::vector<Tensor>& in, int64_t n, int64_t nrhs) {
  const Tensor a = in[0].clone(), b = in[1].clone();
  dispatch_floating(a.dtype(), "solve", [&]<class T>() {
    EXPECT_TRUE(solve_on<T>(solver, a, n, b, nrhs)) << "the factorization failed";
  });
  return {b};
}

// Sizes below and above cuSOLVER's block size, one right-hand side and the ten of one-hot
// targets.
TYPED_TEST(KernelSolveParity, CholeskyMatchesTheCpu) {
  for (const int64_t n : {int64_t{1}, int64_t{41}, int64_t{600}}) {
    for (const int64_t nrhs : {int64_t{1}, int64_t{10}}) {
      SCOPED_TRACE(::testing::Message() << "n " << n << ", nrhs " << nrhs);
      test::expect_parity(
          this->device(),
          [&](const std::vector<Tensor>& in) { return solved(Solver::kCholesky, in, n, nrhs); },
          {spd_lower(n, 1), test::uniform_tensor(Shape{nrhs * n}, 2)}, {Tolerance::normwise(1e-4)});
    }
  }
}

TYPED_TEST(KernelSolveParity, LuMatchesTheCpu) {
  for (const int64_t n : {int64_t{1}, int64_t{17}, int64_t{600}}) {
    SCOPED_TRACE(::testing::Message() << "n " << n);
    test::expect_parity(
        this->device(),
        [&](const std::vector<Tensor>& in) { return solved(Solver::kLu, in, n, 3); },
        {general(n, 3), test::uniform_tensor(Shape{3 * n}, 4)}, {Tolerance::normwise(1e-4)});
  }
}

// What kernel interpolation does with a matrix that is not numerically positive definite:
// Cholesky reports it and leaves the right-hand sides as they were, then LU on the full matrix
// solves it.
std::vector<Tensor> cholesky_then_lu(const std::vector<Tensor>& in, int64_t n, int64_t nrhs) {
  const Tensor a = in[0].clone(), b = in[1].clone();
  dispatch_floating(a.dtype(), "fallback", [&]<class T>() {
    EXPECT_FALSE(solve_on<T>(Solver::kCholesky, a, n, b, nrhs))
        << "Cholesky accepted an indefinite matrix";
    EXPECT_TRUE(test::bitwise_equal(b, in[1])) << "the failed Cholesky touched the right sides";
    const Tensor fresh = in[0].clone();  // the failed factorization overwrote part of `a`
    EXPECT_TRUE(solve_on<T>(Solver::kLu, fresh, n, b, nrhs)) << "LU failed";
  });
  return {b};
}

TYPED_TEST(KernelSolveParity, NotPositiveDefiniteFallsBackToLu) {
  for (const int64_t n : {int64_t{2}, int64_t{41}, int64_t{600}}) {
    SCOPED_TRACE(::testing::Message() << "n " << n);
    test::expect_parity(
        this->device(), [&](const std::vector<Tensor>& in) { return cholesky_then_lu(in, n, 10); },
        {indefinite(n, 5), test::uniform_tensor(Shape{10 * n}, 6)}, {Tolerance::normwise(1e-4)});
  }
}

TYPED_TEST(KernelSolveParity, LuReportsAnExactlySingularMatrix) {
  for (const DType dtype : {DType::kFloat32, DType::kFloat64}) {
    const Tensor a = test::convert(Tensor::from_vector(Shape{4}, std::vector<float>{1, 2, 2, 4}),
                                   dtype, this->device());
    const Tensor b = test::convert(Tensor::from_vector(Shape{2}, std::vector<float>{1, 1}), dtype,
                                   this->device());
    dispatch_floating(dtype, "singular", [&]<class T>() {
      EXPECT_FALSE(solve_on<T>(Solver::kLu, a.clone(), 2, b.clone(), 1)) << dtype_name(dtype);
    });
  }
}

}  // namespace
}  // namespace rethink
