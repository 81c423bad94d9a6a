// LRN on the device against the CPU: AlexNet's setting, TensorFlow's defaults, every exponent
// the kernel specializes (0.75, 0.5, 1) and a general one, windows wider than the channels.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "runtime/autograd.h"
#include "runtime/ops/lrn.h"
#include "tests/support/device_test.h"
#include "tests/support/parity.h"

namespace rethink {
namespace {

using test::Tolerance;

template <class D>
class LrnParity : public test::DeviceTest<D> {};
TYPED_TEST_SUITE(LrnParity, test::Devices, test::DeviceNames);

TYPED_TEST(LrnParity, ForwardAndBackward) {
  struct Case {
    Shape x;
    ops::LrnOptions options;
  };
  const std::vector<Case> cases = {
      {Shape{3, 14, 14, 64}, {4, 1.0, 0.001 / 9, 0.75}},  // AlexNet, after each pooling
      {Shape{3, 7, 7, 64}, {4, 1.0, 0.001 / 9, 0.75}},
      {Shape{2, 5, 5, 32}, {}},  // TensorFlow's defaults: beta 0.5
      {Shape{2, 4, 4, 9}, {2, 2.0, 0.5, 1.0}},
      {Shape{2, 4, 4, 9}, {1, 1.5, 0.3, 0.6}},
      {Shape{6, 3}, {7, 1.0, 0.2, 0.75}},  // window wider than the channels
      {Shape{4, 1}, {0, 1.0, 1.0, 0.5}}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.x.to_string() + " radius " + std::to_string(c.options.depth_radius) + " beta " +
                 std::to_string(c.options.beta));
    const ops::LrnOptions options = c.options;
    const auto op = [options](const std::vector<Tensor>& in) {
      Tensor x = in[0];
      x.set_requires_grad(true);
      const Tensor y = ops::lrn(x, options);
      y.backward(in[1]);
      return std::vector<Tensor>{y, x.grad()};
    };
    test::expect_parity(this->device(), op,
                        {test::uniform_tensor(c.x, 1, -3, 3), test::uniform_tensor(c.x, 2)},
                        {Tolerance::elementwise(), Tolerance::elementwise()});
  }
}

}  // namespace
}  // namespace rethink
