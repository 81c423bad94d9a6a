// Parity of the element-wise and index-mapped ops: ReLU, dropout, channel concat, gradient
// accumulation, fill. Each case runs on the CPU (float32 and float64) and on the device under
// test with poisoned outputs (tests/support/parity.h).
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "runtime/autograd.h"
#include "runtime/ops/concat.h"
#include "runtime/ops/dropout.h"
#include "runtime/ops/relu.h"
#include "tests/support/device_test.h"
#include "tests/support/parity.h"

namespace rethink {
namespace {

using test::Tolerance;

template <class D>
class ElementwiseParity : public test::DeviceTest<D> {};
TYPED_TEST_SUITE(ElementwiseParity, test::Devices, test::DeviceNames);

// Sizes around the launcher's block (256) and, on a GPU, past its grid limit (65536 blocks of
// 256: the grid-stride loop then walks each thread over several elements).
std::vector<int64_t> sizes(bool gpu) {
  std::vector<int64_t> n = {1, 255, 256, 257, 100003};
  if (gpu) n.push_back((int64_t{1} << 24) + 4097);
  return n;
}

// y = relu(x) and dx = relu'(y) * dy.
std::vector<Tensor> relu_and_grad(const std::vector<Tensor>& in) {
  Tensor x = in[0];
  x.set_requires_grad(true);
  const Tensor y = ops::relu(x);
  y.backward(in[1]);
  return {y, x.grad()};
}

TYPED_TEST(ElementwiseParity, ReluForwardAndBackward) {
  for (const int64_t n : sizes(this->on_cuda())) {
    SCOPED_TRACE(n);
    test::expect_parity(this->device(), relu_and_grad,
                        {test::uniform_tensor(Shape{n}, 1), test::uniform_tensor(Shape{n}, 2)},
                        {Tolerance::bitwise(), Tolerance::bitwise()});
  }
}

std::vector<Tensor> dropout_and_grad(const std::vector<Tensor>& in, double p) {
  Tensor x = in[0];
  x.set_requires_grad(true);
  const Tensor y = ops::dropout(x, p, {.seed = 0x5EEDULL << 32 | 7, .step = 41, .layer = 3}, true);
  y.backward(in[1]);
  return {y, x.grad()};
}

// The masks are integer draws, promised bitwise equal on both devices; so are the scaled
// values (one multiplication each).
TYPED_TEST(ElementwiseParity, DropoutMasksAndValuesAreBitwiseTheCpus) {
  for (const int64_t n : {int64_t{1}, int64_t{3}, int64_t{4}, int64_t{1027}, int64_t{1} << 20}) {
    for (const double p : {0.1, 0.5, 0.9}) {
      SCOPED_TRACE(::testing::Message() << "n=" << n << " p=" << p);
      test::expect_parity(
          this->device(), [p](const std::vector<Tensor>& in) { return dropout_and_grad(in, p); },
          {test::uniform_tensor(Shape{n}, 3, 0.5, 1.5), test::uniform_tensor(Shape{n}, 4)},
          {Tolerance::bitwise(), Tolerance::bitwise()});
    }
  }
}

std::vector<Tensor> concat_and_grad(const std::vector<Tensor>& in) {
  std::vector<Tensor> xs(in.begin(), in.end() - 1);
  for (Tensor& x : xs) x.set_requires_grad(true);
  const Tensor y = ops::concat_channels(xs);
  y.backward(in.back());
  std::vector<Tensor> out{y};
  for (const Tensor& x : xs) out.push_back(x.grad());
  return out;
}

// Inception's concatenations (32 + 32 channels at 28x28, 80 + 80 at 14x14, 176 + 160 at 7x7)
// and odd ones (one channel; three inputs).
TYPED_TEST(ElementwiseParity, ConcatAndItsSplit) {
  struct Case {
    Shape outer;
    std::vector<int64_t> channels;
  };
  const std::vector<Case> cases = {{{4, 28, 28}, {32, 32}},
                                   {{4, 14, 14}, {80, 80}},
                                   {{4, 7, 7}, {176, 160}},
                                   {{3, 5, 7}, {1, 5, 2}},
                                   {{9}, {13, 1}}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.outer.to_string());
    std::vector<Tensor> in;
    int64_t total = 0;
    for (size_t i = 0; i < c.channels.size(); ++i) {
      std::vector<int64_t> dims = c.outer.dims();
      dims.push_back(c.channels[i]);
      in.push_back(test::uniform_tensor(Shape(dims), 10 + i));
      total += c.channels[i];
    }
    std::vector<int64_t> dims = c.outer.dims();
    dims.push_back(total);
    in.push_back(test::uniform_tensor(Shape(dims), 99));
    const std::vector<Tolerance> tolerances(c.channels.size() + 1, Tolerance::bitwise());
    test::expect_parity(this->device(), concat_and_grad, in, tolerances);
  }
}

// A tensor used twice gets the sum of both gradients: the engine's accumulation (axpy).
TYPED_TEST(ElementwiseParity, GradientAccumulation) {
  const auto op = [](const std::vector<Tensor>& in) {
    Tensor x = in[0];
    x.set_requires_grad(true);
    const Tensor y = ops::concat_channels({ops::relu(x), x, ops::relu(x)});
    y.backward(in[1]);
    return std::vector<Tensor>{x.grad()};
  };
  test::expect_parity(
      this->device(), op,
      {test::uniform_tensor(Shape{6, 300}, 5), test::uniform_tensor(Shape{6, 900}, 6)},
      {Tolerance::elementwise()});
}

TYPED_TEST(ElementwiseParity, FillAndZero) {
  for (const DType dtype : {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kUInt8}) {
    PoisonScope poison;
    const Tensor t = Tensor::empty(Shape{70001}, dtype, this->device());
    t.fill_(3);
    const Tensor host = Tensor::full(Shape{70001}, 3, dtype);
    EXPECT_TRUE(test::bitwise_equal(t, host)) << dtype_name(dtype);
    t.zero_();
    EXPECT_TRUE(test::bitwise_equal(t, Tensor::zeros(Shape{70001}, dtype))) << dtype_name(dtype);
  }
}

}  // namespace
}  // namespace rethink
