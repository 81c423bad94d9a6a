#include "kernels/softmax_cross_entropy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "tests/support/data.h"
#include "tests/support/naive.h"
#include "tests/support/serial.h"

namespace rethink::kernels {
namespace {

template <class T>
class SoftmaxCrossEntropyKernelTest : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(SoftmaxCrossEntropyKernelTest, FloatTypes);

template <class T>
double tolerance() {
  return std::is_same_v<T, float> ? 2e-5 : 1e-12;
}

const std::vector<std::pair<int64_t, int64_t>> kShapes = {{1, 1}, {1, 2}, {3, 7}, {5000, 10}};

TYPED_TEST(SoftmaxCrossEntropyKernelTest, ForwardMatchesNaiveAndFunctor) {
  using T = TypeParam;
  for (const auto& [rows, classes] : kShapes) {
    SCOPED_TRACE(::testing::Message() << rows << "x" << classes);
    const std::vector<T> logits = test::uniform_values<T>(rows * classes, 1, -5, 5);
    const std::vector<int32_t> labels = test::index_values(rows, uint32_t(classes), 2);
    const std::vector<double> want = test::naive_row_xent(logits, labels, rows, classes);

    std::vector<T> loss(rows), lse(rows);
    const double mean = cpu::softmax_cross_entropy_forward(logits.data(), labels.data(), rows,
                                                           classes, loss.data(), lse.data());
    double want_mean = 0;
    for (int64_t r = 0; r < rows; ++r) {
      ASSERT_NEAR(loss[r], want[r], tolerance<T>()) << "row " << r;
      // lse_r - x_r,label is the loss: the stored lse is consistent with it.
      ASSERT_NEAR(double(lse[r]) - double(logits[r * classes + labels[r]]), want[r], tolerance<T>())
          << "row " << r;
      want_mean += want[r];
    }
    EXPECT_NEAR(mean, want_mean / double(rows), tolerance<T>());

    std::vector<T> loss_f(rows), lse_f(rows);
    test::run_each_index(rows, SoftmaxCrossEntropyRow<T>{logits.data(), labels.data(), classes,
                                                         loss_f.data(), lse_f.data()});
    EXPECT_EQ(loss_f, loss);
    EXPECT_EQ(lse_f, lse);
  }
}

TYPED_TEST(SoftmaxCrossEntropyKernelTest, BackwardMatchesNaiveAndFunctor) {
  using T = TypeParam;
  for (const auto& [rows, classes] : kShapes) {
    SCOPED_TRACE(::testing::Message() << rows << "x" << classes);
    const std::vector<T> logits = test::uniform_values<T>(rows * classes, 3, -5, 5);
    const std::vector<int32_t> labels = test::index_values(rows, uint32_t(classes), 4);
    std::vector<T> loss(rows), lse(rows);
    cpu::softmax_cross_entropy_forward(logits.data(), labels.data(), rows, classes, loss.data(),
                                       lse.data());
    const T scale = T(0.5) / T(rows);

    std::vector<T> grad(rows * classes);
    cpu::softmax_cross_entropy_backward(logits.data(), labels.data(), lse.data(), rows, classes,
                                        scale, grad.data());
    for (int64_t r = 0; r < rows; ++r) {
      double m = logits[r * classes], s = 0;
      for (int64_t k = 1; k < classes; ++k) m = std::max(m, double(logits[r * classes + k]));
      for (int64_t k = 0; k < classes; ++k) s += std::exp(double(logits[r * classes + k]) - m);
      for (int64_t k = 0; k < classes; ++k) {
        const double p = std::exp(double(logits[r * classes + k]) - m) / s;
        const double want = double(scale) * (p - (k == labels[r] ? 1.0 : 0.0));
        ASSERT_NEAR(grad[r * classes + k], want, tolerance<T>()) << "[" << r << ", " << k << "]";
      }
    }

    const SoftmaxCrossEntropyGrad<T> f{logits.data(), labels.data(), lse.data(),
                                       classes,       scale,         nullptr};
    std::vector<T> by_index(grad.size()), by_row_col(grad.size());
    auto fi = f;
    fi.grad = by_index.data();
    test::run_each_index(rows * classes, fi);
    EXPECT_EQ(by_index, grad);
    auto frc = f;
    frc.grad = by_row_col.data();
    test::run_each_row_col(rows, classes, frc);
    EXPECT_EQ(by_row_col, grad);
  }
}

// exp(1000) overflows even a double: only the max-shifted form stays finite.
TYPED_TEST(SoftmaxCrossEntropyKernelTest, HugeLogitsStayFinite) {
  using T = TypeParam;
  const std::vector<T> logits = {T(1000), T(0), T(-1000), T(-1000), T(1000), T(1000)};
  const std::vector<int32_t> labels = {1, 2};
  std::vector<T> loss(2), lse(2), grad(6);
  const double mean = cpu::softmax_cross_entropy_forward(logits.data(), labels.data(), 2, 3,
                                                         loss.data(), lse.data());
  ASSERT_TRUE(std::isfinite(mean));
  // lse is stored in T: near 1000 a float's spacing is 6e-5, which bounds what survives.
  const double tol = std::is_same_v<T, float> ? 1e-4 : 1e-9;
  EXPECT_NEAR(loss[0], 1000.0, tol);
  EXPECT_NEAR(loss[1], std::log(2.0), tol);  // two equal maxima: p = 1/2
  cpu::softmax_cross_entropy_backward(logits.data(), labels.data(), lse.data(), 2, 3, T(1),
                                      grad.data());
  const std::vector<double> want = {1, -1, 0, 0, 0.5, -0.5};
  for (size_t i = 0; i < grad.size(); ++i) EXPECT_NEAR(grad[i], want[i], tol) << i;
}

TYPED_TEST(SoftmaxCrossEntropyKernelTest, SingleClassHasZeroLossAndGradient) {
  using T = TypeParam;
  const std::vector<T> logits = {T(3), T(-2)};
  const std::vector<int32_t> labels = {0, 0};
  std::vector<T> loss(2), lse(2), grad(2, T(9));
  EXPECT_EQ(cpu::softmax_cross_entropy_forward(logits.data(), labels.data(), 2, 1, loss.data(),
                                               lse.data()),
            0.0);
  cpu::softmax_cross_entropy_backward(logits.data(), labels.data(), lse.data(), 2, 1, T(1),
                                      grad.data());
  EXPECT_EQ(grad, (std::vector<T>{T(0), T(0)}));
}

}  // namespace
}  // namespace rethink::kernels
