// The parameter-free layers: pooling, global average pooling, LRN, ReLU, Flatten.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "models/layers/avg_pool2d.h"
#include "models/layers/flatten.h"
#include "models/layers/global_avg_pool.h"
#include "models/layers/lrn.h"
#include "models/layers/max_pool2d.h"
#include "models/layers/relu.h"
#include "tests/models/helpers.h"
#include "tests/support/throws.h"

namespace rethink {
namespace {

using kernels::PaddingMode;
using test::as_doubles;
using test::float_tensor;

// Pooling by TensorFlow's rules: SAME pads the smaller half first, padded positions count for
// neither the max nor the mean.
std::vector<double> naive_pool(const std::vector<double>& x, int64_t n, int64_t h, int64_t w,
                               int64_t c, int64_t k, int64_t s, bool same, bool max, int64_t* oh,
                               int64_t* ow) {
  int64_t top = 0, left = 0;
  if (same) {
    *oh = (h + s - 1) / s;
    *ow = (w + s - 1) / s;
    top = std::max<int64_t>((*oh - 1) * s + k - h, 0) / 2;
    left = std::max<int64_t>((*ow - 1) * s + k - w, 0) / 2;
  } else {
    *oh = (h - k) / s + 1;
    *ow = (w - k) / s + 1;
  }
  std::vector<double> y;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t r = 0; r < *oh; ++r) {
      for (int64_t q = 0; q < *ow; ++q) {
        for (int64_t ch = 0; ch < c; ++ch) {
          double best = -std::numeric_limits<double>::infinity(), sum = 0;
          int count = 0;
          for (int64_t kr = 0; kr < k; ++kr) {
            for (int64_t kc = 0; kc < k; ++kc) {
              const int64_t yr = r * s - top + kr, xc = q * s - left + kc;
              if (yr < 0 || yr >= h || xc < 0 || xc >= w) continue;
              const double v = x[((i * h + yr) * w + xc) * c + ch];
              best = std::max(best, v);
              sum += v;
              ++count;
            }
          }
          y.push_back(max ? best : sum / count);
        }
      }
    }
  }
  return y;
}

TEST(PoolingLayerTest, MaxAndAveragePoolAreTensorFlowsForEveryPadding) {
  struct Case {
    int64_t n, h, w, c, k, s;
    PaddingMode padding;
  };
  const std::vector<Case> cases = {
      {2, 6, 6, 3, 3, 2, PaddingMode::kSame},   // even size, stride 2: padding bottom/right only
      {1, 7, 5, 5, 3, 2, PaddingMode::kSame},   // odd sizes, non-square
      {2, 5, 6, 2, 3, 2, PaddingMode::kValid},  // VALID
      {1, 1, 1, 3, 3, 2, PaddingMode::kSame},   // a 1x1 image
  };
  uint64_t seed = 1;
  for (const Case& c : cases) {
    // Negative inputs: a padded zero must not win the max.
    const Tensor x = float_tensor(Shape{c.n, c.h, c.w, c.c}, seed++, -3, -1);
    for (bool max : {true, false}) {
      std::shared_ptr<Module> layer;
      if (max) {
        layer = std::make_shared<MaxPool2d>(c.k, c.s, c.padding);
      } else {
        layer = std::make_shared<AvgPool2d>(c.k, c.s, c.padding);
      }
      int64_t oh = 0, ow = 0;
      const std::vector<double> expected =
          naive_pool(as_doubles(x), c.n, c.h, c.w, c.c, c.k, c.s, c.padding == PaddingMode::kSame,
                     max, &oh, &ow);
      const Tensor y = (*layer)(x);
      EXPECT_EQ(y.shape(), (Shape{c.n, oh, ow, c.c})) << layer->type_name() << " " << c.h;
      EXPECT_TRUE(test::all_close(as_doubles(y), expected)) << layer->type_name() << " " << c.h;
      EXPECT_EQ(layer->parameter_count(), 0);
    }
  }
}

TEST(PoolingLayerTest, AWindowThatDoesNotFitIsAnErrorNamingTheLayer) {
  Sequential model;
  model.add(std::make_shared<MaxPool2d>(3, 2, PaddingMode::kValid))
      .add(std::make_shared<MaxPool2d>(3, 2, PaddingMode::kValid));
  // 5x5 -> 2x2, then the second window no longer fits.
  EXPECT_EQ(model[0].type_name(), "MaxPool2d");
  EXPECT_TRUE(test::throws_with<Error>(
      [&] {
        model(Tensor::zeros(Shape{1, 5, 5, 2}));
      },
      {"MaxPool2d '1'", "[1, 2, 2, 2]"}));
}

TEST(PoolingLayerTest, GlobalAvgPoolAveragesEachImagesChannels) {
  const Tensor x = float_tensor(Shape{2, 3, 4, 5}, 3);
  const std::vector<double> xv = as_doubles(x);
  std::vector<double> expected(10, 0.0);
  for (int64_t i = 0; i < 2; ++i) {
    for (int64_t p = 0; p < 12; ++p) {
      for (int64_t c = 0; c < 5; ++c) expected[i * 5 + c] += xv[(i * 12 + p) * 5 + c] / 12;
    }
  }
  GlobalAvgPool pool;
  const Tensor y = pool(x);
  EXPECT_EQ(y.shape(), (Shape{2, 5}));
  EXPECT_TRUE(test::all_close(as_doubles(y), expected));
  EXPECT_TRUE(test::throws_with<Error>(
      [&] {
        pool(Tensor::zeros(Shape{2, 5}));
      },
      {"GlobalAvgPool", "[2, 5]"}));
}

TEST(PoolingLayerTest, LrnIsTensorFlowsAcrossTheChannels) {
  const ops::LrnOptions options{4, 1.0, 0.001 / 9, 0.75};  // the TF CIFAR tutorial's
  const int64_t c = 11;
  const Tensor x = float_tensor(Shape{2, 2, 3, c}, 4, -4, 4);
  const std::vector<double> xv = as_doubles(x);
  std::vector<double> expected(xv.size());
  for (size_t i = 0; i < xv.size(); ++i) {
    const int64_t ch = static_cast<int64_t>(i) % c;
    double sum = 0;
    for (int64_t d = std::max<int64_t>(ch - 4, 0); d <= std::min<int64_t>(ch + 4, c - 1); ++d) {
      sum += xv[i - ch + d] * xv[i - ch + d];
    }
    expected[i] = xv[i] / std::pow(1.0 + 0.001 / 9 * sum, 0.75);
  }
  Lrn lrn(options);
  EXPECT_TRUE(test::all_close(as_doubles(lrn(x)), expected));
}

TEST(PoolingLayerTest, ReluAndFlattenKeepTheirOpsSemantics) {
  const Tensor x = float_tensor(Shape{2, 2, 3, 4}, 5);
  ReLU relu;
  Flatten flatten;
  const Tensor y = flatten(relu(x));
  EXPECT_EQ(y.shape(), (Shape{2, 24}));
  std::vector<float> expected = x.to_vector<float>();
  for (float& v : expected) v = std::max(v, 0.0f);
  EXPECT_EQ(y.to_vector<float>(), expected);  // row-major (h, w, c): the NHWC order as it lies
  EXPECT_EQ(relu.type_name(), "ReLU");
  EXPECT_EQ(flatten.type_name(), "Flatten");
}

}  // namespace
}  // namespace rethink
