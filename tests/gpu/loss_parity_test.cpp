// Softmax cross-entropy (forward: a row kernel and a deterministic mean; backward reading the
// upstream gradient on the device) and top-1 accuracy.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "runtime/ops/accuracy.h"
#include "runtime/ops/softmax_cross_entropy.h"
#include "tests/support/device_test.h"
#include "tests/support/gradcheck.h"
#include "tests/support/parity.h"

namespace rethink {
namespace {

using test::Tolerance;

template <class D>
class LossParity : public test::DeviceTest<D> {};
TYPED_TEST_SUITE(LossParity, test::Devices, test::DeviceNames);

struct Case {
  int64_t rows, classes;
};
// Batch 128 of 10 classes (the paper's), the flat reduction's chunk edges (4096 rows) and odd
// shapes: one class, one row, many classes.
const std::vector<Case> kCases = {{128, 10}, {1, 1},      {1, 10},  {4096, 10},
                                  {4097, 3}, {10000, 10}, {7, 1000}};

TYPED_TEST(LossParity, SoftmaxCrossEntropyForwardAndBackward) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(::testing::Message() << c.rows << " rows x " << c.classes << " classes");
    const auto op = [](const std::vector<Tensor>& in) {
      Tensor logits = in[0];
      logits.set_requires_grad(true);
      const Tensor loss = ops::softmax_cross_entropy(logits, in[1]);
      // A seed other than 1: the device must read the upstream gradient, not assume it.
      loss.backward(Tensor::full(Shape{}, 0.375, logits.dtype(), logits.device()));
      return std::vector<Tensor>{loss, logits.grad()};
    };
    test::expect_parity(this->device(), op,
                        {test::uniform_tensor(Shape{c.rows, c.classes}, 1, -4, 4),
                         test::random_labels(c.rows, c.classes, 2)},
                        {Tolerance::normwise(), Tolerance::elementwise()});
  }
}

TYPED_TEST(LossParity, AccuracyCountsTheSameRows) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(::testing::Message() << c.rows << " rows x " << c.classes << " classes");
    const Tensor logits = test::uniform_tensor(Shape{c.rows, c.classes}, 3);
    const Tensor labels = test::random_labels(c.rows, c.classes, 4);
    const int64_t expected = ops::count_correct(logits, labels);
    PoisonScope poison;
    const Device d = this->device();
    EXPECT_EQ(ops::count_correct(logits.to(d), labels.to(d)), expected);
    const Tensor on_device = ops::correct_count(logits.to(d), labels.to(d));
    EXPECT_EQ(on_device.device(), d);
    EXPECT_EQ(on_device.item<double>(), static_cast<double>(expected));
  }
}

// Ties go to the first maximum on both devices.
TYPED_TEST(LossParity, AccuracyBreaksTiesAtTheFirstMaximum) {
  const Tensor logits =
      Tensor::from_vector(Shape{3, 4}, std::vector<float>{1, 3, 3, 0, 2, 2, 2, 2, 0, 0, 1, 1});
  const Tensor labels = Tensor::from_vector(Shape{3}, std::vector<int32_t>{1, 0, 2});
  EXPECT_EQ(ops::count_correct(logits.to(this->device()), labels.to(this->device())), 3);
}

// The CPU rejects a bad label; a GPU cannot without a synchronization, so its loss turns NaN
// (never an out-of-bounds read, never a finite loss).
TYPED_TEST(LossParity, ABadLabelIsRefusedOrPoisonsTheLoss) {
  const Tensor logits = test::uniform_tensor(Shape{4, 10}, 5);
  const Tensor labels = Tensor::from_vector(Shape{4}, std::vector<int32_t>{0, 10, 3, -1});
  const Device d = this->device();
  if (d.is_cpu()) {
    EXPECT_THROW((void)ops::softmax_cross_entropy(logits, labels), Error);
  } else {
    const float loss = ops::softmax_cross_entropy(logits.to(d), labels.to(d)).item<float>();
    EXPECT_TRUE(std::isnan(loss)) << loss;
  }
}

}  // namespace
}  // namespace rethink
