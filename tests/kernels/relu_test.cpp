#include "kernels/relu.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tests/support/data.h"
#include "tests/support/serial.h"

namespace rethink::kernels {
namespace {

// Sizes below and above cpu::kMinParallelWork (the OpenMP path), plus the edge values 0 and -0.
template <class T>
std::vector<T> relu_inputs(int64_t n, uint64_t seed) {
  std::vector<T> x = test::uniform_values<T>(n, seed);
  x[0] = T(0);
  if (n > 1) x[1] = -T(0);
  if (n > 2) x[2] = T(1e-30);
  return x;
}

template <class T>
class ReluTest : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(ReluTest, FloatTypes);

TYPED_TEST(ReluTest, ForwardMatchesNaiveAndFunctor) {
  using T = TypeParam;
  for (const int64_t n : {3, 7, 20000}) {
    const std::vector<T> x = relu_inputs<T>(n, 1);
    std::vector<T> want(x.size());
    for (size_t i = 0; i < x.size(); ++i) want[i] = x[i] > 0 ? x[i] : T(0);

    std::vector<T> y(x.size(), T(-7));
    cpu::relu_forward(x.data(), y.data(), n);
    EXPECT_EQ(y, want) << "n=" << n;

    std::vector<T> by_index(x.size(), T(-7));
    test::run_each_index(n, ReluForward<T>{x.data(), by_index.data()});
    EXPECT_EQ(by_index, y) << "n=" << n;
  }
}

// The backward reads the output: the gradient passes where y > 0 and is zero where y == 0.
TYPED_TEST(ReluTest, BackwardMatchesNaiveAndFunctor) {
  using T = TypeParam;
  for (const int64_t n : {3, 7, 20000}) {
    std::vector<T> y = relu_inputs<T>(n, 2);
    for (T& v : y) v = v > 0 ? v : T(0);
    const std::vector<T> dy = test::uniform_values<T>(n, 3);
    std::vector<T> want(y.size());
    for (size_t i = 0; i < y.size(); ++i) want[i] = y[i] > 0 ? dy[i] : T(0);

    std::vector<T> dx(y.size(), T(-7));
    cpu::relu_backward(y.data(), dy.data(), dx.data(), n);
    EXPECT_EQ(dx, want) << "n=" << n;

    std::vector<T> by_index(y.size(), T(-7));
    test::run_each_index(n, ReluBackward<T>{y.data(), dy.data(), by_index.data()});
    EXPECT_EQ(by_index, dx) << "n=" << n;
  }
}

TYPED_TEST(ReluTest, ForwardInPlaceIsAllowed) {
  using T = TypeParam;
  std::vector<T> x = {T(-2), T(0.5), T(0), T(3)};
  cpu::relu_forward(x.data(), x.data(), 4);
  EXPECT_EQ(x, (std::vector<T>{T(0), T(0.5), T(0), T(3)}));
}

}  // namespace
}  // namespace rethink::kernels
