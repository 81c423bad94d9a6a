// Max, average and global average pooling on the device against the CPU: the paper's windows
// (3x3 stride 2 SAME on 28x28 and 14x14), odd ones, negative inputs (padding never wins a
// max) and ties (the first maximum takes the gradient on both devices).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "runtime/autograd.h"
#include "runtime/ops/avg_pool2d.h"
#include "runtime/ops/global_avg_pool.h"
#include "runtime/ops/max_pool2d.h"
#include "tests/support/device_test.h"
#include "tests/support/parity.h"

namespace rethink {
namespace {

using kernels::PaddingMode;
using test::Tolerance;

template <class D>
class PoolingParity : public test::DeviceTest<D> {};
TYPED_TEST_SUITE(PoolingParity, test::Devices, test::DeviceNames);

struct PoolCase {
  Shape x;
  ops::Pool2dOptions options;
};

std::vector<PoolCase> pool_cases() {
  return {{Shape{3, 28, 28, 80}, {3, 2, PaddingMode::kSame}},
          {Shape{3, 14, 14, 144}, {3, 2, PaddingMode::kSame}},
          {Shape{3, 28, 28, 64}, {3, 2, PaddingMode::kSame}},
          {Shape{2, 9, 7, 5}, {2, 2, PaddingMode::kValid}},
          {Shape{2, 9, 7, 5}, {3, 1, PaddingMode::kSame}},
          {Shape{2, 10, 10, 3}, {1, 1, PaddingMode::kSame}},
          {Shape{2, 11, 11, 3}, {2, 3, PaddingMode::kSame}},
          {Shape{1, 1, 1, 1}, {3, 2, PaddingMode::kSame}}};
}

// Values on a coarse grid, so that windows hold ties; all negative, so padding read as 0
// would win a max.
Tensor coarse_negative(const Shape& shape, uint64_t seed) {
  std::vector<float> v = test::uniform_tensor(shape, seed, -4, -1).to_vector<float>();
  for (float& e : v) e = std::round(e * 2) / 2;
  return Tensor::from_vector(shape, v);
}

template <class Pool>
test::Op pool_and_grad(Pool pool, const ops::Pool2dOptions& options) {
  return [pool, options](const std::vector<Tensor>& in) {
    Tensor x = in[0];
    x.set_requires_grad(true);
    const Tensor y = pool(x, options);
    y.backward(in[1]);
    return std::vector<Tensor>{y, x.grad()};
  };
}

Shape pooled(const PoolCase& c) {
  const auto w = kernels::Window2d::make(c.options.kernel, c.options.kernel, c.options.stride,
                                         c.options.padding, c.x[1], c.x[2]);
  return Shape{c.x[0], w.out_h(c.x[1]), w.out_w(c.x[2]), c.x[3]};
}

TYPED_TEST(PoolingParity, MaxPoolRoutesEveryGradientLikeTheCpu) {
  for (const PoolCase& c : pool_cases()) {
    SCOPED_TRACE(c.x.to_string() + " kernel " + std::to_string(c.options.kernel) + " stride " +
                 std::to_string(c.options.stride));
    for (const bool ties : {false, true}) {
      const Tensor x = ties ? coarse_negative(c.x, 1) : test::uniform_tensor(c.x, 1);
      // Bitwise: a max is a copy, and each dx element sums its gradients in one fixed order.
      test::expect_parity(
          this->device(),
          pool_and_grad(
              [](const Tensor& t, const ops::Pool2dOptions& o) { return ops::max_pool2d(t, o); },
              c.options),
          {x, test::uniform_tensor(pooled(c), 2)},
          {Tolerance::bitwise(), Tolerance::elementwise()});
    }
  }
}

TYPED_TEST(PoolingParity, AvgPoolCountsValidPositionsLikeTheCpu) {
  for (const PoolCase& c : pool_cases()) {
    SCOPED_TRACE(c.x.to_string() + " kernel " + std::to_string(c.options.kernel) + " stride " +
                 std::to_string(c.options.stride));
    test::expect_parity(
        this->device(),
        pool_and_grad(
            [](const Tensor& t, const ops::Pool2dOptions& o) { return ops::avg_pool2d(t, o); },
            c.options),
        {test::uniform_tensor(c.x, 3), test::uniform_tensor(pooled(c), 4)},
        {Tolerance::elementwise(), Tolerance::elementwise()});
  }
}

TYPED_TEST(PoolingParity, GlobalAveragePool) {
  for (const Shape& shape :
       {Shape{5, 7, 7, 336}, Shape{3, 28, 28, 3}, Shape{2, 1, 1, 9}, Shape{1, 3, 5, 1}}) {
    SCOPED_TRACE(shape.to_string());
    const auto op = [](const std::vector<Tensor>& in) {
      Tensor x = in[0];
      x.set_requires_grad(true);
      const Tensor y = ops::global_avg_pool(x);
      y.backward(in[1]);
      return std::vector<Tensor>{y, x.grad()};
    };
    test::expect_parity(
        this->device(), op,
        {test::uniform_tensor(shape, 5), test::uniform_tensor(Shape{shape[0], shape[3]}, 6)},
        {Tolerance::elementwise(), Tolerance::elementwise()});
  }
}

}  // namespace
}  // namespace rethink
