#include "runtime/ops/conv2d.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
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
  int64_t batch, in_h, in_w, in_c, out_c, kernel_h, kernel_w, stride;
  PaddingMode mode;
};

std::string describe(const Case& c) {
  return std::to_string(c.batch) + "x" + std::to_string(c.in_h) + "x" + std::to_string(c.in_w) +
         "x" + std::to_string(c.in_c) + " -> " + std::to_string(c.out_c) + ", " +
         std::to_string(c.kernel_h) + "x" + std::to_string(c.kernel_w) + "/" +
         std::to_string(c.stride) + (c.mode == PaddingMode::kSame ? " SAME" : " VALID");
}

// Batch 1, a 1x1 image, non-square images and kernels, stride 2 SAME on even and odd sizes,
// pointwise and strided 1x1, channel counts not a multiple of 4.
const std::vector<Case> kCases = {
    {1, 4, 3, 3, 2, 3, 3, 1, PaddingMode::kSame},  {2, 4, 4, 5, 3, 3, 3, 2, PaddingMode::kSame},
    {2, 5, 3, 3, 2, 3, 3, 2, PaddingMode::kSame},  {2, 3, 2, 5, 3, 1, 1, 1, PaddingMode::kSame},
    {2, 4, 3, 3, 2, 1, 1, 2, PaddingMode::kSame},  {1, 1, 1, 7, 3, 3, 3, 1, PaddingMode::kSame},
    {2, 4, 5, 3, 2, 3, 2, 1, PaddingMode::kValid}, {1, 5, 4, 2, 3, 5, 5, 1, PaddingMode::kSame},
};

// Output size along one axis and the padding before it, spelled out from TensorFlow's rules.
void axis(int64_t in, int64_t k, int64_t s, PaddingMode mode, int64_t* out, int64_t* before) {
  if (mode == PaddingMode::kValid) {
    *out = (in - k) / s + 1;
    *before = 0;
    return;
  }
  *out = (in + s - 1) / s;
  const int64_t total = std::max<int64_t>((*out - 1) * s + k - in, 0);
  *before = total / 2;
}

// y[n,oh,ow,o] = b[o] + sum x[n, oh*s - top + kh, ow*s - left + kw, c] w[o,kh,kw,c], in double.
std::vector<double> naive_conv(const Case& c, const std::vector<double>& x,
                               const std::vector<double>& w, const std::vector<double>* b) {
  int64_t oh_n, ow_n, top, left;
  axis(c.in_h, c.kernel_h, c.stride, c.mode, &oh_n, &top);
  axis(c.in_w, c.kernel_w, c.stride, c.mode, &ow_n, &left);
  std::vector<double> y(static_cast<size_t>(c.batch * oh_n * ow_n * c.out_c));
  for (int64_t n = 0; n < c.batch; ++n)
    for (int64_t oh = 0; oh < oh_n; ++oh)
      for (int64_t ow = 0; ow < ow_n; ++ow)
        for (int64_t o = 0; o < c.out_c; ++o) {
          double acc = b ? (*b)[o] : 0.0;
          for (int64_t kh = 0; kh < c.kernel_h; ++kh)
            for (int64_t kw = 0; kw < c.kernel_w; ++kw) {
              const int64_t h = oh * c.stride - top + kh, ww = ow * c.stride - left + kw;
              if (h < 0 || h >= c.in_h || ww < 0 || ww >= c.in_w) continue;
              for (int64_t ci = 0; ci < c.in_c; ++ci) {
                acc += x[((n * c.in_h + h) * c.in_w + ww) * c.in_c + ci] *
                       w[((o * c.kernel_h + kh) * c.kernel_w + kw) * c.in_c + ci];
              }
            }
          y[((n * oh_n + oh) * ow_n + ow) * c.out_c + o] = acc;
        }
  return y;
}

Shape x_shape(const Case& c) { return Shape{c.batch, c.in_h, c.in_w, c.in_c}; }
Shape w_shape(const Case& c) { return Shape{c.out_c, c.kernel_h, c.kernel_w, c.in_c}; }
Conv2dOptions options_of(const Case& c) { return Conv2dOptions{c.stride, c.mode}; }

TEST(Conv2d, ForwardMatchesNaiveFloat32) {
  for (const Case& c : kCases) {
    for (const bool with_bias : {false, true}) {
      SCOPED_TRACE(describe(c) + (with_bias ? " with bias" : " without bias"));
      const auto xv = test::uniform_values<float>(x_shape(c).numel(), 1);
      const auto wv = test::uniform_values<float>(w_shape(c).numel(), 2);
      const auto bv = test::uniform_values<float>(c.out_c, 3);
      const Tensor b = with_bias ? Tensor::from_vector(Shape{c.out_c}, bv) : Tensor();
      const Tensor y = conv2d(Tensor::from_vector(x_shape(c), xv),
                              Tensor::from_vector(w_shape(c), wv), b, options_of(c));
      int64_t oh, ow, unused;
      axis(c.in_h, c.kernel_h, c.stride, c.mode, &oh, &unused);
      axis(c.in_w, c.kernel_w, c.stride, c.mode, &ow, &unused);
      ASSERT_EQ(y.shape(), (Shape{c.batch, oh, ow, c.out_c}));
      ASSERT_EQ(y.dtype(), DType::kFloat32);
      const std::vector<double> bd(bv.begin(), bv.end());
      const std::vector<double> want =
          naive_conv(c, std::vector<double>(xv.begin(), xv.end()),
                     std::vector<double>(wv.begin(), wv.end()), with_bias ? &bd : nullptr);
      const std::vector<float> got = y.to_vector<float>();
      for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-5) << i;
    }
  }
}

// The 28x28 stride-2 downsample of the small Inception: 14x14 out, padded bottom/right only,
// so output (0, 0) is the 3x3 window at the image's corner (x[0..2, 0..2]).
TEST(Conv2d, InceptionDownsampleSamplesFromTheCorner) {
  std::vector<double> xv(28 * 28);
  for (size_t i = 0; i < xv.size(); ++i) xv[i] = double(i);
  const Tensor y = conv2d(Tensor::from_vector(Shape{1, 28, 28, 1}, xv),
                          Tensor::full(Shape{1, 3, 3, 1}, 1.0, DType::kFloat64), Tensor(),
                          Conv2dOptions{2, PaddingMode::kSame});
  ASSERT_EQ(y.shape(), (Shape{1, 14, 14, 1}));
  double corner = 0, last = 0;
  for (int h = 0; h < 3; ++h)
    for (int w = 0; w < 3; ++w) corner += xv[static_cast<size_t>(h * 28 + w)];
  for (int h = 26; h < 28; ++h)
    for (int w = 26; w < 28; ++w) last += xv[static_cast<size_t>(h * 28 + w)];
  const auto v = y.to_vector<double>();
  EXPECT_EQ(v.front(), corner);
  EXPECT_EQ(v.back(), last);
}

TEST(Conv2d, BackwardMatchesFiniteDifferences) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(describe(c));
    const Conv2dOptions opt = options_of(c);
    EXPECT_TRUE(gradcheck(
        [&](const std::vector<Tensor>& v) { return test::project(conv2d(v[0], v[1], v[2], opt)); },
        {random_tensor(x_shape(c), 4), random_tensor(w_shape(c), 5),
         random_tensor(Shape{c.out_c}, 6)}));
    EXPECT_TRUE(gradcheck(
        [&](const std::vector<Tensor>& v) { return test::project(conv2d(v[0], v[1], {}, opt)); },
        {random_tensor(x_shape(c), 7), random_tensor(w_shape(c), 8)}));
  }
}

// Gradients add to what the leaves already hold (the optimizer zeroes them), and only the
// inputs that require gradients get one.
TEST(Conv2d, BackwardAccumulatesIntoLeafGradients) {
  const Case c{2, 4, 4, 3, 2, 3, 3, 2, PaddingMode::kSame};
  Tensor x = random_tensor(x_shape(c), 9);
  Tensor w = random_tensor(w_shape(c), 10);
  Tensor b = random_tensor(Shape{c.out_c}, 11);
  w.set_requires_grad(true);
  b.set_requires_grad(true);
  test::project(conv2d(x, w, b, options_of(c))).backward();
  const auto dw1 = w.grad().to_vector<double>();
  const auto db1 = b.grad().to_vector<double>();
  test::project(conv2d(x, w, b, options_of(c))).backward();
  const auto dw2 = w.grad().to_vector<double>();
  const auto db2 = b.grad().to_vector<double>();
  for (size_t i = 0; i < dw1.size(); ++i) EXPECT_NEAR(dw2[i], 2 * dw1[i], 1e-12) << i;
  for (size_t i = 0; i < db1.size(); ++i) EXPECT_NEAR(db2[i], 2 * db1[i], 1e-12) << i;
  EXPECT_FALSE(x.grad().defined());
}

TEST(Conv2d, EmptyBatchGivesZeroGradients) {
  for (const int64_t k : {1, 3}) {
    Tensor w = random_tensor(Shape{4, k, k, 3}, 12);
    Tensor b = random_tensor(Shape{4}, 13);
    w.set_requires_grad(true);
    b.set_requires_grad(true);
    const Tensor y = conv2d(Tensor::zeros(Shape{0, 5, 5, 3}, DType::kFloat64), w, b);
    EXPECT_EQ(y.shape(), (Shape{0, 5, 5, 4}));
    test::project(y).backward();
    EXPECT_EQ(w.grad().to_vector<double>(),
              std::vector<double>(static_cast<size_t>(w.numel()), 0.0))
        << k;
    EXPECT_EQ(b.grad().to_vector<double>(), std::vector<double>(4, 0.0)) << k;
  }
}

// PyTorch's conv2d in float64 with TensorFlow's SAME pads applied explicitly
// (tools/fixtures/conv2d.py); our float32 op must agree in the forward and every gradient.
TEST(Conv2d, MatchesPyTorchFixtures) {
  const auto fx = test::Fixture::load("conv2d");
  ASSERT_GE(fx.cases().size(), 9u);
  for (const std::string& name : fx.cases()) {
    SCOPED_TRACE(name);
    const nlohmann::json& p = fx.params(name);
    const bool has_bias = p.at("bias").get<bool>();
    const std::string padding = p.at("padding").get<std::string>();
    ASSERT_TRUE(padding == "same" || padding == "valid") << padding;
    const Conv2dOptions opt{p.at("stride").get<int64_t>(),
                            padding == "same" ? PaddingMode::kSame : PaddingMode::kValid};
    Tensor x = fx.tensor(name, "x").clone();
    Tensor w = fx.tensor(name, "weight").clone();
    Tensor b = has_bias ? fx.tensor(name, "bias").clone() : Tensor();
    ASSERT_EQ(w.size(1), p.at("kernel_h").get<int64_t>());
    ASSERT_EQ(w.size(2), p.at("kernel_w").get<int64_t>());
    x.set_requires_grad(true);
    w.set_requires_grad(true);
    if (has_bias) b.set_requires_grad(true);
    const Tensor y = conv2d(x, w, b, opt);
    EXPECT_TRUE(test::close_normwise(y, fx.tensor(name, "y"))) << "y";
    y.backward(fx.tensor(name, "dy"));
    EXPECT_TRUE(test::close_normwise(x.grad(), fx.tensor(name, "dx"))) << "dx";
    EXPECT_TRUE(test::close_normwise(w.grad(), fx.tensor(name, "dweight"))) << "dweight";
    if (has_bias) {
      EXPECT_TRUE(test::close_normwise(b.grad(), fx.tensor(name, "dbias"))) << "dbias";
    }
  }
}

TEST(Conv2d, MismatchedChannelsNameBothShapes) {
  const Tensor x = Tensor::zeros(Shape{2, 5, 5, 3});
  const Tensor w = Tensor::zeros(Shape{4, 3, 3, 5});
  EXPECT_TRUE(throws_with<Error>([&] { conv2d(x, w); }, {"[2, 5, 5, 3]", "[4, 3, 3, 5]", "NHWC"}));
}

TEST(Conv2d, BiasOfWrongShapeThrows) {
  const Tensor x = Tensor::zeros(Shape{2, 5, 5, 3});
  const Tensor w = Tensor::zeros(Shape{4, 3, 3, 3});
  EXPECT_TRUE(throws_with<Error>([&] { conv2d(x, w, Tensor::zeros(Shape{3})); }, {"[4]", "[3]"}));
}

TEST(Conv2d, KernelLargerThanValidInputThrows) {
  const Tensor x = Tensor::zeros(Shape{1, 2, 5, 3});
  const Tensor w = Tensor::zeros(Shape{4, 3, 3, 3});
  EXPECT_TRUE(throws_with<Error>(
      [&] {
        conv2d(x, w, {}, {1, PaddingMode::kValid});
      },
      {"3x3", "2x5", "SAME"}));
  EXPECT_NO_THROW(conv2d(x, w, {}, {1, PaddingMode::kSame}));
}

TEST(Conv2d, BadStrideRankOrDtypeThrows) {
  const Tensor x = Tensor::zeros(Shape{1, 4, 4, 3});
  const Tensor w = Tensor::zeros(Shape{2, 3, 3, 3});
  EXPECT_TRUE(throws_with<Error>([&] { conv2d(x, w, {}, {0, PaddingMode::kSame}); }, {"stride"}));
  EXPECT_THROW(conv2d(Tensor::zeros(Shape{4, 4, 3}), w), Error);
  EXPECT_THROW(conv2d(x, Tensor::zeros(Shape{2, 9, 3})), Error);
  EXPECT_THROW(conv2d(x, Tensor::zeros(Shape{2, 3, 3, 3}, DType::kFloat64)), Error);
  EXPECT_THROW(conv2d(x, w, Tensor::zeros(Shape{2}, DType::kFloat64)), Error);
  EXPECT_THROW(conv2d(Tensor::zeros(Shape{1, 4, 4, 3}, DType::kInt32),
                      Tensor::zeros(Shape{2, 3, 3, 3}, DType::kInt32)),
               Error);
  EXPECT_THROW(conv2d(x, Tensor::zeros(Shape{2, 0, 3, 3})), Error);
}

}  // namespace
}  // namespace rethink::ops
