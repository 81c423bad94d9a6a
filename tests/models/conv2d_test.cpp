#include "models/layers/conv2d.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "models/layers/branches.h"
#include "runtime/ops/conv2d.h"
#include "tests/models/helpers.h"
#include "tests/support/throws.h"

namespace rethink {
namespace {

using kernels::PaddingMode;
using test::as_doubles;
using test::float_tensor;

// TensorFlow's rules spelled out: SAME gives ceil(in / s) outputs and puts the smaller half of
// the padding first; VALID gives (in - k) / s + 1 and pads nothing.
std::vector<double> naive_conv(const std::vector<double>& x, const std::vector<double>& w,
                               const std::vector<double>& b, int64_t n, int64_t h, int64_t wd,
                               int64_t cin, int64_t cout, int64_t k, int64_t s, bool same,
                               int64_t* oh, int64_t* ow) {
  int64_t top = 0, left = 0;
  if (same) {
    *oh = (h + s - 1) / s;
    *ow = (wd + s - 1) / s;
    top = std::max<int64_t>((*oh - 1) * s + k - h, 0) / 2;
    left = std::max<int64_t>((*ow - 1) * s + k - wd, 0) / 2;
  } else {
    *oh = (h - k) / s + 1;
    *ow = (wd - k) / s + 1;
  }
  std::vector<double> y;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t r = 0; r < *oh; ++r) {
      for (int64_t c = 0; c < *ow; ++c) {
        for (int64_t o = 0; o < cout; ++o) {
          double acc = b.empty() ? 0 : b[o];
          for (int64_t kr = 0; kr < k; ++kr) {
            for (int64_t kc = 0; kc < k; ++kc) {
              const int64_t yr = r * s - top + kr, xc = c * s - left + kc;
              if (yr < 0 || yr >= h || xc < 0 || xc >= wd) continue;
              for (int64_t ci = 0; ci < cin; ++ci) {
                acc +=
                    x[((i * h + yr) * wd + xc) * cin + ci] * w[((o * k + kr) * k + kc) * cin + ci];
              }
            }
          }
          y.push_back(acc);
        }
      }
    }
  }
  return y;
}

TEST(Conv2dLayerTest, OwnsAnOhwiWeightThatDecaysAndABiasThatDoesNot) {
  Conv2d conv(3, 96, 3);
  const auto params = conv.parameters();
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params[0].name, "weight");
  EXPECT_EQ(params[0].tensor.shape(), (Shape{96, 3, 3, 3}));
  EXPECT_TRUE(params[0].decay);
  EXPECT_EQ(params[0].layout, ExportLayout::kOhwi);
  EXPECT_EQ(params[1].name, "bias");
  EXPECT_EQ(params[1].tensor.shape(), (Shape{96}));
  EXPECT_FALSE(params[1].decay);
  EXPECT_EQ(params[1].layout, ExportLayout::kPyTorch);
  EXPECT_EQ(conv.parameter_count(), 2'592 + 96);

  Conv2d no_bias(80, 80, 3, 2, PaddingMode::kSame, /*bias=*/false);
  ASSERT_EQ(no_bias.parameters().size(), 1u);
  EXPECT_EQ(no_bias.parameter_count(), 57'600);  // the paper's downsample conv, less BN's beta
  EXPECT_FALSE(no_bias.bias().defined());
}

TEST(Conv2dLayerTest, ForwardIsTensorFlowsConvolutionForEveryPaddingAndStride) {
  struct Case {
    int64_t n, h, w, cin, cout, k, s;
    PaddingMode padding;
    bool bias;
  };
  // Stride-2 SAME on an even size pads only bottom/right; an odd size, VALID, a 1x1 image,
  // channel counts that are not multiples of 4.
  const std::vector<Case> cases = {
      {2, 5, 4, 3, 5, 3, 1, PaddingMode::kSame, true},
      {1, 6, 6, 3, 2, 3, 2, PaddingMode::kSame, true},
      {2, 5, 7, 2, 3, 3, 2, PaddingMode::kSame, false},
      {1, 5, 6, 3, 2, 3, 2, PaddingMode::kValid, true},
      {1, 1, 1, 5, 3, 3, 1, PaddingMode::kSame, true},
      {2, 6, 5, 7, 6, 5, 1, PaddingMode::kSame, false},
  };
  uint64_t seed = 1;
  for (const Case& c : cases) {
    Conv2d conv(c.cin, c.cout, c.k, c.s, c.padding, c.bias);
    conv.initialize(seed++);
    if (c.bias) conv.bias().copy_(float_tensor(Shape{c.cout}, seed++));  // zero by default
    const Tensor x = float_tensor(Shape{c.n, c.h, c.w, c.cin}, seed++);
    const Tensor y = conv(x);
    int64_t oh = 0, ow = 0;
    const std::vector<double> expected =
        naive_conv(as_doubles(x), as_doubles(conv.weight()),
                   c.bias ? as_doubles(conv.bias()) : std::vector<double>{}, c.n, c.h, c.w, c.cin,
                   c.cout, c.k, c.s, c.padding == PaddingMode::kSame, &oh, &ow);
    EXPECT_EQ(y.shape(), (Shape{c.n, oh, ow, c.cout})) << c.h << "x" << c.w << "/" << c.s;
    EXPECT_TRUE(test::all_close(as_doubles(y), expected)) << c.h << "x" << c.w << "/" << c.s;
    // And it is exactly the op it wraps.
    EXPECT_EQ(y.to_vector<float>(),
              ops::conv2d(x, conv.weight(), conv.bias(), {c.s, c.padding}).to_vector<float>());
  }
}

TEST(Conv2dLayerTest, ExplicitPaddingIsZeroPaddingPerSideThenValid) {
  // PyTorch's padding=1 at stride 2 (one row each side) and a lopsided pad, against the same
  // weights run VALID over an input padded by hand.
  const std::vector<kernels::Padding2d> pads = {{1, 1, 1, 1}, {0, 2, 1, 0}};
  uint64_t seed = 40;
  for (const kernels::Padding2d& pad : pads) {
    const int64_t n = 2, h = 6, w = 5, cin = 3, cout = 4, k = 3, s = 2;
    Conv2d conv(cin, cout, k, s, pad);
    conv.initialize(seed++);
    ASSERT_TRUE(conv.explicit_padding().has_value());
    Conv2d valid(cin, cout, k, s, PaddingMode::kValid);
    valid.weight().copy_(conv.weight());
    valid.bias().copy_(conv.bias());

    const Tensor x = float_tensor(Shape{n, h, w, cin}, seed++);
    const int64_t ph = h + pad.top + pad.bottom, pw = w + pad.left + pad.right;
    std::vector<float> padded(static_cast<size_t>(n * ph * pw * cin), 0.0f);
    const std::vector<float> xv = x.to_vector<float>();
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t r = 0; r < h; ++r) {
        for (int64_t c = 0; c < w; ++c) {
          for (int64_t ch = 0; ch < cin; ++ch) {
            padded[((i * ph + r + pad.top) * pw + c + pad.left) * cin + ch] =
                xv[((i * h + r) * w + c) * cin + ch];
          }
        }
      }
    }
    const Tensor y = conv(x);
    const Tensor expected = valid(Tensor::from_vector(Shape{n, ph, pw, cin}, padded));
    EXPECT_EQ(y.shape(), expected.shape());
    EXPECT_TRUE(test::all_close(as_doubles(y), as_doubles(expected)))
        << pad.top << pad.bottom << pad.left << pad.right;
  }
  // PyTorch's symmetric pad is not TensorFlow's SAME at stride 2: same size, shifted grid.
  Conv2d symmetric(1, 1, 3, 2, kernels::Padding2d{1, 1, 1, 1});
  Conv2d same(1, 1, 3, 2, PaddingMode::kSame);
  symmetric.initialize(1);
  same.initialize(1);
  const Tensor x = float_tensor(Shape{1, 4, 4, 1}, 3);
  EXPECT_EQ(symmetric(x).shape(), same(x).shape());
  EXPECT_NE(symmetric(x).to_vector<float>(), same(x).to_vector<float>());
  // A window that does not fit even padded is the input's fault, named by the layer.
  Sequential model;
  model.add(std::make_shared<Conv2d>(1, 1, 5, 1, kernels::Padding2d{1, 0, 0, 0}));
  EXPECT_TRUE(test::throws_with<UserError>(
      [&] {
        model(Tensor::zeros(Shape{1, 3, 3, 1}));
      },
      {"Conv2d '0'", "5x5", "top 1, bottom 0"}));
  EXPECT_TRUE(test::throws_with<Error>(
      [] {
        Conv2d(1, 1, 3, 1, kernels::Padding2d{-1, 0, 0, 0});
      },
      {"must be >= 0"}));
}

TEST(Conv2dLayerTest, GradientsReachTheParameters) {
  Conv2d conv(2, 3, 3);
  conv.initialize(4);
  const Tensor x = float_tensor(Shape{2, 4, 4, 2}, 5);
  Tensor loss = conv(x);
  // Sum of outputs: dL/db = number of output pixels per channel.
  const Tensor ones = Tensor::full(loss.shape(), 1.0);
  loss.backward(ones);
  ASSERT_TRUE(conv.weight().grad().defined());
  ASSERT_TRUE(conv.bias().grad().defined());
  for (float g : conv.bias().grad().to_vector<float>()) EXPECT_FLOAT_EQ(g, 2 * 4 * 4);
}

TEST(Conv2dLayerTest, InitializesGlorotUniformWithTensorFlowsFansAndZeroBias) {
  Conv2d conv(64, 64, 5);
  conv.bias().fill_(3.0);
  conv.initialize(9);
  const double a = std::sqrt(6.0 / (25 * 64 + 25 * 64));
  const std::vector<double> w = as_doubles(conv.weight());
  double sum_sq = 0, max_abs = 0;
  for (double v : w) {
    sum_sq += v * v;
    max_abs = std::max(max_abs, std::abs(v));
  }
  EXPECT_LE(max_abs, a);
  EXPECT_GT(max_abs, 0.99 * a);
  EXPECT_NEAR(sum_sq / static_cast<double>(w.size()), a * a / 3, 0.02 * a * a / 3);
  for (float b : conv.bias().to_vector<float>()) EXPECT_EQ(b, 0.0f);

  // Same seed, same weights; another seed, others.
  Conv2d again(64, 64, 5);
  again.initialize(9);
  EXPECT_EQ(again.weight().to_vector<float>(), conv.weight().to_vector<float>());
  again.initialize(10);
  EXPECT_NE(again.weight().to_vector<float>(), conv.weight().to_vector<float>());

  // The TF CIFAR tutorial's scheme, when asked for.
  conv.set_init(WeightInit::truncated_normal(5e-2, 0.1));
  conv.initialize(9);
  for (float v : conv.weight().to_vector<float>()) ASSERT_LE(std::abs(v), 0.1f);
  for (float b : conv.bias().to_vector<float>()) EXPECT_EQ(b, 0.1f);
}

TEST(Conv2dLayerTest, AnInputItCannotTakeIsAnErrorNamingTheLayerAndTheShapes) {
  Sequential model;
  auto block = std::make_shared<Branches>();
  block->add("branch3x3", std::make_shared<Conv2d>(3, 4, 3, 1, PaddingMode::kValid));
  model.add(block);
  model.initialize(1);
  EXPECT_TRUE(test::throws_with<Error>(
      [&] {
        model(Tensor::zeros(Shape{1, 2, 2, 3}));
      },
      {"Conv2d '0.branch3x3'", "[1, 2, 2, 3]", "VALID"}));
  EXPECT_TRUE(test::throws_with<Error>(
      [&] {
        model(Tensor::zeros(Shape{1, 5, 5, 2}));
      },
      {"Conv2d '0.branch3x3'", "[1, 5, 5, 2]", "channels"}));
  // A layer on its own is named by its type.
  Conv2d alone(3, 4, 3);
  EXPECT_TRUE(test::throws_with<Error>(
      [&] {
        alone(Tensor::zeros(Shape{4, 3}));
      },
      {"Conv2d on input [4, 3]"}));
  EXPECT_TRUE(test::throws_with<Error>([] { Conv2d(3, 0, 3); }, {"Conv2d(3, 0"}));
}

}  // namespace
}  // namespace rethink
