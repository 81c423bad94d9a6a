// Kernel interpolation on a GPU against the CPU (experiments/kernel_interpolation.h): the same
// problem solved on both devices must give the same errors and the same norm, in float64 to
// 1e-9, with the ridge, with several blocks of kernel rows and a partial one, and in float32
// within float32's reach.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "experiments/kernel_interpolation.h"
#include "tests/support/data.h"
#include "tests/support/gpu.h"

namespace rethink {
namespace {

// 150 random points in [0, 1]^12 with 4 random classes, 60 test points.
struct Problem {
  int64_t n = 150, m = 60, d = 12, classes = 4;
  Tensor x = Tensor::from_vector(Shape{n, d}, test::uniform_values<double>(n* d, 1, 0, 1));
  Tensor xt = Tensor::from_vector(Shape{m, d}, test::uniform_values<double>(m* d, 2, 0, 1));
  Tensor y = Tensor::from_vector(Shape{n}, test::index_values(n, 4, 3));
  Tensor yt = Tensor::from_vector(Shape{m}, test::index_values(m, 4, 4));

  KernelInterpolationResult run(KernelInterpolationOptions o, Device device) const {
    o.device = device;
    return kernel_interpolate(x, y, xt, yt, classes, o);
  }
};

void expect_same(const KernelInterpolationResult& gpu, const KernelInterpolationResult& cpu,
                 double norm_rtol) {
  EXPECT_EQ(gpu.solver, cpu.solver);
  EXPECT_EQ(gpu.train_size, cpu.train_size);
  EXPECT_EQ(gpu.test_size, cpu.test_size);
  EXPECT_DOUBLE_EQ(gpu.train_error, cpu.train_error);
  EXPECT_DOUBLE_EQ(gpu.test_error, cpu.test_error);
  EXPECT_NEAR(gpu.rkhs_norm, cpu.rkhs_norm, norm_rtol * cpu.rkhs_norm);
  EXPECT_GT(cpu.rkhs_norm, 0);
}

TEST(KernelInterpolationGpu, MatchesTheCpuInFloat64) {
  RT_SKIP_WITHOUT_GPU();
  const Problem p;
  KernelInterpolationOptions o;
  o.gamma = 0.5;
  o.block_bytes = 7 * p.n * 8;  // seven rows per block: several blocks and a partial one
  const KernelInterpolationResult cpu = p.run(o, Device::cpu());
  const KernelInterpolationResult gpu = p.run(o, Device::cuda(0));
  EXPECT_EQ(cpu.solver, "cholesky");
  EXPECT_EQ(gpu.train_error, 0);  // an interpolant
  EXPECT_LT(gpu.max_train_residual, 1e-6);
  expect_same(gpu, cpu, 1e-9);
}

TEST(KernelInterpolationGpu, RidgeMatchesTheCpu) {
  RT_SKIP_WITHOUT_GPU();
  const Problem p;
  KernelInterpolationOptions o;
  o.gamma = 0.5;
  o.ridge = 0.5;
  const KernelInterpolationResult cpu = p.run(o, Device::cpu());
  const KernelInterpolationResult gpu = p.run(o, Device::cuda(0));
  EXPECT_GT(gpu.max_train_residual, 1e-3);  // regularized: no longer an interpolant
  EXPECT_NEAR(gpu.max_train_residual, cpu.max_train_residual, 1e-9);
  expect_same(gpu, cpu, 1e-9);
}

TEST(KernelInterpolationGpu, Float32AgreesWithTheCpu) {
  RT_SKIP_WITHOUT_GPU();
  const Problem p;
  KernelInterpolationOptions o;
  o.gamma = 2.0;  // narrow bandwidth: K close to I, well conditioned
  o.float32 = true;
  const KernelInterpolationResult cpu = p.run(o, Device::cpu());
  const KernelInterpolationResult gpu = p.run(o, Device::cuda(0));
  EXPECT_EQ(gpu.solver, cpu.solver);
  EXPECT_EQ(gpu.train_error, 0);
  EXPECT_NEAR(gpu.rkhs_norm, cpu.rkhs_norm, 1e-4 * cpu.rkhs_norm);
  EXPECT_NEAR(gpu.test_error, cpu.test_error, 2.0 / p.m);
}

}  // namespace
}  // namespace rethink
