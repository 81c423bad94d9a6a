#include "runtime/ops/avg_pool2d.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "runtime/autograd.h"
#include "tests/support/data.h"
#include "tests/support/fixture.h"
#include "tests/support/gradcheck.h"
#include "tests/support/throws.h"

namespace rethink::ops {
namespace {

using kernels::PaddingMode;
using test::gradcheck;
using test::random_tensor;
using test::throws_with;

struct Case {
  Shape shape;  // NHWC
  Pool2dOptions options;
};

// Batch 1, a 1x1 image, non-square and odd sizes, stride 2 SAME (asymmetric pads on even
// sizes), 2x2/2 VALID, 3x3/1 SAME, channel counts that are not multiples of 4.
const std::vector<Case> kCases = {{Shape{2, 6, 6, 3}, {3, 2, PaddingMode::kSame}},
                                  {Shape{1, 8, 6, 5}, {3, 2, PaddingMode::kSame}},
                                  {Shape{1, 7, 7, 7}, {3, 2, PaddingMode::kSame}},
                                  {Shape{1, 5, 9, 3}, {3, 2, PaddingMode::kSame}},
                                  {Shape{2, 6, 5, 3}, {2, 2, PaddingMode::kValid}},
                                  {Shape{1, 5, 4, 5}, {3, 1, PaddingMode::kSame}},
                                  {Shape{3, 1, 1, 7}, {3, 2, PaddingMode::kSame}},
                                  {Shape{1, 4, 7, 2}, {1, 2, PaddingMode::kSame}}};

::testing::Message describe(const Case& c) {
  return ::testing::Message() << c.shape.to_string() << " kernel " << c.options.kernel << " stride "
                              << c.options.stride
                              << (c.options.padding == PaddingMode::kSame ? " SAME" : " VALID");
}

// TensorFlow's SAME along one axis, written out: out = ceil(in / stride), the total padding
// split with the odd element after.
std::pair<int64_t, int64_t> same_pads(int64_t in, int64_t kernel, int64_t stride) {
  const int64_t out = (in + stride - 1) / stride;
  const int64_t total = std::max<int64_t>((out - 1) * stride + kernel - in, 0);
  return {total / 2, total - total / 2};
}

// Mean over the window's in-image positions: padding neither adds nor counts.
std::vector<double> naive_avg_pool(const std::vector<double>& x, const Shape& shape,
                                   const Pool2dOptions& o, Shape* out_shape) {
  const int64_t n_ = shape[0], h_ = shape[1], w_ = shape[2], c_ = shape[3];
  const bool same = o.padding == PaddingMode::kSame;
  const auto [top, bottom] =
      same ? same_pads(h_, o.kernel, o.stride) : std::pair<int64_t, int64_t>{};
  const auto [left, right] =
      same ? same_pads(w_, o.kernel, o.stride) : std::pair<int64_t, int64_t>{};
  const int64_t oh_ = (h_ + top + bottom - o.kernel) / o.stride + 1;
  const int64_t ow_ = (w_ + left + right - o.kernel) / o.stride + 1;
  *out_shape = Shape{n_, oh_, ow_, c_};
  std::vector<double> y;
  for (int64_t n = 0; n < n_; ++n) {
    for (int64_t oh = 0; oh < oh_; ++oh) {
      for (int64_t ow = 0; ow < ow_; ++ow) {
        for (int64_t c = 0; c < c_; ++c) {
          double sum = 0;
          int count = 0;
          for (int64_t kh = 0; kh < o.kernel; ++kh) {
            for (int64_t kw = 0; kw < o.kernel; ++kw) {
              const int64_t h = oh * o.stride - top + kh, w = ow * o.stride - left + kw;
              if (h < 0 || h >= h_ || w < 0 || w >= w_) continue;
              sum += x[static_cast<size_t>(((n * h_ + h) * w_ + w) * c_ + c)];
              ++count;
            }
          }
          y.push_back(sum / count);
        }
      }
    }
  }
  return y;
}

TEST(AvgPool2d, ForwardMatchesNaive) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(describe(c));
    // Away from zero: a pad counted in the mean would shrink the border outputs.
    const std::vector<double> xv = test::uniform_values<double>(c.shape.numel(), 1, 0.5, 2.0);
    Shape want_shape;
    const std::vector<double> want = naive_avg_pool(xv, c.shape, c.options, &want_shape);

    const Tensor y64 = avg_pool2d(Tensor::from_vector(c.shape, xv), c.options);
    ASSERT_EQ(y64.shape(), want_shape);
    const std::vector<double> got64 = y64.to_vector<double>();
    for (size_t i = 0; i < got64.size(); ++i) ASSERT_NEAR(got64[i], want[i], 1e-14) << i;

    const std::vector<float> xf(xv.begin(), xv.end());
    const Tensor y32 = avg_pool2d(Tensor::from_vector(c.shape, xf), c.options);
    ASSERT_EQ(y32.dtype(), DType::kFloat32);
    const std::vector<float> got32 = y32.to_vector<float>();
    for (size_t i = 0; i < got32.size(); ++i) {
      ASSERT_NEAR(got32[i], want[i], 1e-6 * std::abs(want[i])) << i;
    }
  }
}

TEST(AvgPool2d, SameOutputSizesAreCeilOfInputOverStride) {
  EXPECT_EQ(avg_pool2d(Tensor::zeros(Shape{2, 28, 28, 3})).shape(), (Shape{2, 14, 14, 3}));
  EXPECT_EQ(avg_pool2d(Tensor::zeros(Shape{1, 7, 5, 2})).shape(), (Shape{1, 4, 3, 2}));
  EXPECT_EQ(avg_pool2d(Tensor::zeros(Shape{1, 5, 7, 2}), {2, 2, PaddingMode::kValid}).shape(),
            (Shape{1, 2, 3, 2}));
}

// A constant image keeps its value everywhere, border windows included: the divisor is the
// count of real pixels (TensorFlow), not kernel^2 (PyTorch's default count_include_pad).
TEST(AvgPool2d, ConstantImageStaysConstant) {
  const Tensor y = avg_pool2d(Tensor::full(Shape{1, 6, 6, 3}, 2.5), {3, 2, PaddingMode::kSame});
  EXPECT_EQ(y.to_vector<float>(), std::vector<float>(27, 2.5f));
}

TEST(AvgPool2d, BackwardMatchesFiniteDifferences) {
  uint64_t seed = 10;
  for (const Case& c : kCases) {
    SCOPED_TRACE(describe(c));
    EXPECT_TRUE(gradcheck(
        [&](const std::vector<Tensor>& v) { return test::project(avg_pool2d(v[0], c.options)); },
        {random_tensor(c.shape, ++seed)}));
  }
}

TEST(AvgPool2d, RecordsNoGraphWithoutGradients) {
  EXPECT_EQ(avg_pool2d(Tensor::zeros(Shape{1, 4, 4, 2})).grad_fn(), nullptr);
  Tensor x = Tensor::zeros(Shape{1, 4, 4, 2});
  x.set_requires_grad(true);
  EXPECT_NE(avg_pool2d(x).grad_fn(), nullptr);
}

TEST(AvgPool2d, BadArgumentsThrowNamingTheProblem) {
  EXPECT_TRUE(throws_with<Error>(
      [] {
        avg_pool2d(Tensor::zeros(Shape{6, 6, 3}));
      },
      {"avg_pool2d", "NHWC", "[6, 6, 3]"}));
  EXPECT_TRUE(throws_with<Error>(
      [] {
        avg_pool2d(Tensor::zeros(Shape{1, 5, 2, 3}), {3, 1, PaddingMode::kValid});
      },
      {"3x3 VALID", "5x2", "SAME"}));
  EXPECT_TRUE(throws_with<Error>(
      [] {
        avg_pool2d(Tensor::zeros(Shape{1, 4, 4, 1}), {-1, 1});
      },
      {"kernel -1", "positive"}));
  EXPECT_TRUE(throws_with<Error>(
      [] {
        avg_pool2d(Tensor::zeros(Shape{1, 4, 0, 1}));
      },
      {"[1, 4, 0, 1]", "empty"}));
  EXPECT_TRUE(throws_with<Error>(
      [] {
        avg_pool2d(Tensor::zeros(Shape{1, 4, 4, 1}, DType::kUInt8));
      },
      {"uint8", "float"}));
}

TEST(AvgPool2d, MatchesPyTorchFixtures) {
  const auto fx = test::Fixture::load("pool");
  int checked = 0;
  for (const std::string& name : fx.cases()) {
    const nlohmann::json& p = fx.params(name);
    if (p.at("op").get<std::string>() != "avg_pool2d") continue;
    SCOPED_TRACE(name);
    const std::string padding = p.at("padding").get<std::string>();
    ASSERT_TRUE(padding == "same" || padding == "valid") << padding;
    const Pool2dOptions options{p.at("kernel").get<int64_t>(), p.at("stride").get<int64_t>(),
                                padding == "same" ? PaddingMode::kSame : PaddingMode::kValid};
    Tensor x = fx.tensor(name, "x").clone();
    x.set_requires_grad(true);
    const Tensor y = avg_pool2d(x, options);
    EXPECT_TRUE(test::close_normwise(y, fx.tensor(name, "y"))) << "y";
    y.backward(fx.tensor(name, "dy"));
    EXPECT_TRUE(test::close_normwise(x.grad(), fx.tensor(name, "dx"))) << "dx";
    ++checked;
  }
  EXPECT_GE(checked, 8);
}

}  // namespace
}  // namespace rethink::ops
