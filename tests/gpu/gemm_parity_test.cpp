// GEMM through cuBLAS behind the CPU wrapper's row-major signature, and the linear op built on
// it: every transpose combination, padded leading dimensions, alpha and beta, odd and model
// sizes, in fp32, TF32 and fp64.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/gemm.h"
#include "runtime/autograd.h"
#include "runtime/compute_settings.h"
#include "runtime/ops/linear.h"
#include "tests/support/device_test.h"
#include "tests/support/naive.h"
#include "tests/support/parity.h"

namespace rethink {
namespace {

using test::Tolerance;

template <class D>
class GemmParity : public test::DeviceTest<D> {};
TYPED_TEST_SUITE(GemmParity, test::Devices, test::DeviceNames);

struct GemmCase {
  int64_t m, n, k;
};

// The MLPs' and Inception's products (batch 128) and odd sizes: 1, primes, k = 0.
const std::vector<GemmCase> kCases = {
    {128, 512, 2352}, {128, 10, 512}, {512, 2352, 128}, {6272, 32, 96}, {1568, 80, 1440},
    {1, 1, 1},        {7, 13, 1},     {33, 1, 65},      {5, 3, 0},      {257, 129, 31}};

int64_t leading(int64_t cols, int64_t pad) { return std::max<int64_t>(cols, 1) + pad; }

// C = alpha op(A) op(B) + beta C with leading dimensions padded by `pad`, through the
// device's GEMM. The padding columns must come back untouched.
std::vector<Tensor> gemm_on(Device device, bool ta, bool tb, const GemmCase& c, double alpha,
                            double beta, int64_t pad, const std::vector<Tensor>& in) {
  const int64_t lda = leading(ta ? c.m : c.k, pad), ldb = leading(tb ? c.k : c.n, pad);
  const int64_t ldc = leading(c.n, pad);
  Tensor out = in[2].clone();
  dispatch_floating(in[0].dtype(), "gemm", [&]<class T>() {
    if (device.is_cpu()) {
      kernels::cpu::gemm<T>(ta, tb, c.m, c.n, c.k, T(alpha), in[0].data<T>(), lda, in[1].data<T>(),
                            ldb, T(beta), out.data<T>(), ldc);
    } else if constexpr (kBuiltWithCuda) {
      kernels::cuda::gemm<T>(cuda_context(device), ta, tb, c.m, c.n, c.k, T(alpha), in[0].data<T>(),
                             lda, in[1].data<T>(), ldb, T(beta), out.data<T>(), ldc);
    }
  });
  return {out};
}

void check_gemms(Device device, const Tolerance& tol) {
  for (const GemmCase& c : kCases) {
    for (const bool ta : {false, true}) {
      for (const bool tb : {false, true}) {
        for (const int64_t pad : {int64_t{0}, int64_t{3}}) {
          SCOPED_TRACE(::testing::Message() << "m=" << c.m << " n=" << c.n << " k=" << c.k
                                            << " ta=" << ta << " tb=" << tb << " pad=" << pad);
          const int64_t lda = leading(ta ? c.m : c.k, pad), ldb = leading(tb ? c.k : c.n, pad);
          const int64_t a_rows = ta ? c.k : c.m, b_rows = tb ? c.n : c.k;
          const std::vector<Tensor> in = {
              test::uniform_tensor(Shape{std::max<int64_t>(a_rows * lda, 1)}, 1),
              test::uniform_tensor(Shape{std::max<int64_t>(b_rows * ldb, 1)}, 2),
              test::uniform_tensor(Shape{c.m * leading(c.n, pad)}, 3)};
          const double alpha = 0.75, beta = pad > 0 ? 0.5 : 0.0;
          test::expect_parity(device,
                              [&](const std::vector<Tensor>& t) {
                                return gemm_on(t[0].device(), ta, tb, c, alpha, beta, pad, t);
                              },
                              in, {tol});
        }
      }
    }
  }
}

TYPED_TEST(GemmParity, Fp32MatchesTheCpu) { check_gemms(this->device(), Tolerance::normwise()); }

// TF32 (a GPU mode; the CPU ignores it) rounds the inputs to 10 mantissa bits: normwise 2e-3
// against the CPU's fp32 and the float64 answer.
TEST(GemmTf32, IsWithinItsBound) {
  RT_SKIP_WITHOUT_GPU();
  ComputeSettingsScope tf32({.math = MathMode::kTf32});
  check_gemms(Device::cuda(), Tolerance::normwise(2e-3));
}

// TF32 must actually change the rounding: otherwise the setting does not reach cuBLAS.
TEST(GemmTf32, DiffersFromFp32) {
  RT_SKIP_WITHOUT_GPU();
  const Device d = Device::cuda();
  const GemmCase c{256, 256, 1024};
  const std::vector<Tensor> in = {test::uniform_tensor(Shape{c.m * c.k}, 1).to(d),
                                  test::uniform_tensor(Shape{c.k * c.n}, 2).to(d),
                                  Tensor::zeros(Shape{c.m * c.n}, DType::kFloat32, d)};
  const Tensor fp32 = gemm_on(d, false, false, c, 1, 0, 0, in)[0];
  ComputeSettingsScope tf32({.math = MathMode::kTf32});
  const Tensor tf = gemm_on(d, false, false, c, 1, 0, 0, in)[0];
  EXPECT_FALSE(test::bitwise_equal(fp32, tf)) << "TF32 gave fp32's bits: the math mode is lost";
  EXPECT_TRUE(test::close_normwise(tf, fp32, 2e-3));
}

std::vector<Tensor> linear_and_grads(const std::vector<Tensor>& in, bool with_bias) {
  Tensor x = in[0], w = in[1], b = with_bias ? in[2] : Tensor();
  x.set_requires_grad(true);
  w.set_requires_grad(true);
  if (with_bias) b.set_requires_grad(true);
  const Tensor y = ops::linear(x, w, b);
  y.backward(in[3]);
  return {y, x.grad(), w.grad(), with_bias ? b.grad() : Tensor()};
}

// Every fully connected layer of the paper's models at batch 128 (the MLPs', AlexNet's and the
// Inception's classifier) and odd shapes; the bias gradient is a column reduction, so its
// shapes cover one and several row chunks (256 rows) and partial 32-column blocks.
TYPED_TEST(GemmParity, LinearForwardAndBackward) {
  struct Case {
    int64_t batch, in, out;
  };
  const std::vector<Case> cases = {{128, 2352, 512}, {128, 512, 512}, {128, 512, 10},
                                   {128, 3136, 384}, {128, 384, 192}, {128, 192, 10},
                                   {128, 336, 10},   {1, 3, 1},       {257, 7, 33},
                                   {1000, 65, 31},   {3, 1, 700}};
  for (const Case& c : cases) {
    for (const bool bias : {true, false}) {
      SCOPED_TRACE(::testing::Message()
                   << c.batch << "x" << c.in << " -> " << c.out << (bias ? " with bias" : ""));
      test::expect_parity(
          this->device(),
          [bias](const std::vector<Tensor>& in) { return linear_and_grads(in, bias); },
          {test::uniform_tensor(Shape{c.batch, c.in}, 1),
           test::uniform_tensor(Shape{c.out, c.in}, 2), test::uniform_tensor(Shape{c.out}, 3),
           test::uniform_tensor(Shape{c.batch, c.out}, 4)},
          {Tolerance::normwise(), Tolerance::normwise(), Tolerance::normwise(),
           Tolerance::normwise()});
    }
  }
}

}  // namespace
}  // namespace rethink
