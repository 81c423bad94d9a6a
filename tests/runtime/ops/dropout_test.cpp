#include "runtime/ops/dropout.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "kernels/philox.h"
#include "runtime/autograd.h"
#include "tests/support/data.h"
#include "tests/support/fixture.h"
#include "tests/support/gradcheck.h"
#include "tests/support/scoped_threads.h"
#include "tests/support/throws.h"

namespace rethink::ops {
namespace {

using test::gradcheck;
using test::random_tensor;
using test::throws_with;

TEST(Dropout, ForwardDrawsTheDocumentedMask) {
  const DropoutKey key{.seed = 0xABCDEF0123456789ULL, .step = 12, .layer = 4};
  const auto stream =
      kernels::PhiloxStream::make(key.seed, kernels::RngPurpose::kDropout, key.step, key.layer);
  for (const Shape& shape :
       {Shape{1, 1, 1, 1}, Shape{2, 3, 4, 5}, Shape{1, 3, 2, 7}, Shape{7, 3}}) {
    for (const double p : {0.1, 0.5, 0.9}) {
      SCOPED_TRACE(::testing::Message() << shape.to_string() << " p=" << p);
      const auto xv = test::uniform_values<float>(shape.numel(), 1, 0.5, 1.5);
      const Tensor y = dropout(Tensor::from_vector(shape, xv), p, key, /*training=*/true);
      ASSERT_EQ(y.shape(), shape);
      const std::vector<float> got = y.to_vector<float>();
      const float scale = static_cast<float>(1 / (1 - p));
      for (size_t i = 0; i < xv.size(); ++i) {
        const bool keep = stream.uniform(i) >= static_cast<float>(p);
        ASSERT_EQ(got[i], keep ? xv[i] * scale : 0.0f) << i;
      }
    }
  }
}

TEST(Dropout, EvalModeAndZeroPReturnTheInputItself) {
  const Tensor x = random_tensor(Shape{3, 4}, 2);
  EXPECT_TRUE(dropout(x, 0.5, {}, /*training=*/false).shares_memory_with(x));
  EXPECT_TRUE(dropout(x, 0.0, {}, /*training=*/true).shares_memory_with(x));
  EXPECT_FALSE(dropout(x, 0.5, {}, /*training=*/true).shares_memory_with(x));
}

TEST(Dropout, KeepFractionAndMeanAreRight) {
  const int64_t n = 1 << 18;
  const Tensor x = Tensor::full(Shape{n}, 1.0);
  for (const double p : {0.1, 0.5, 0.9}) {
    const std::vector<float> y = dropout(x, p, {.seed = 3}, true).to_vector<float>();
    int64_t kept = 0;
    double total = 0;
    for (const float v : y) {
      kept += v != 0;
      total += v;
    }
    const double sigma = std::sqrt(n * p * (1 - p));
    EXPECT_NEAR(double(kept), n * (1 - p), 5 * sigma) << "p=" << p;
    EXPECT_NEAR(total / n, 1.0, 5 * sigma / (n * (1 - p))) << "p=" << p;
  }
}

TEST(Dropout, MaskRepeatsForOneKeyAndChangesWithSeedStepAndLayer) {
  const Tensor x = Tensor::full(Shape{64, 64}, 1.0);
  const auto mask = [&](const DropoutKey& k) {
    return dropout(x, 0.5, k, true).to_vector<float>();
  };
  const DropoutKey base{.seed = 1, .step = 2, .layer = 3};
  EXPECT_EQ(mask(base), mask(base));
  for (const DropoutKey& other : {DropoutKey{2, 2, 3}, DropoutKey{1, 3, 3}, DropoutKey{1, 2, 4}}) {
    EXPECT_NE(mask(other), mask(base)) << other.seed << " " << other.step << " " << other.layer;
  }
}

TEST(Dropout, SameBitsForOneAndTwoThreads) {
  const Tensor x = random_tensor(Shape{100003}, 4);
  const auto run = [&](int threads) {
    test::ScopedOmpThreads scoped(threads);
    return dropout(x, 0.3, {.seed = 9, .step = 1, .layer = 2}, true).to_vector<double>();
  };
  const std::vector<double> one = run(1), two = run(2);
  ASSERT_EQ(one.size(), two.size());
  EXPECT_EQ(std::memcmp(one.data(), two.data(), one.size() * sizeof(double)), 0);
}

TEST(Dropout, BackwardMatchesFiniteDifferences) {
  for (const Shape& shape : {Shape{1, 1}, Shape{2, 3, 2, 5}, Shape{7, 3}}) {
    for (const double p : {0.1, 0.5, 0.9}) {
      EXPECT_TRUE(gradcheck(
          [&](const std::vector<Tensor>& v) {
            return test::project(dropout(v[0], p, {.seed = 5, .step = 6, .layer = 7}, true));
          },
          {random_tensor(shape, 5)}))
          << shape.to_string() << " p=" << p;
    }
  }
}

// The backward redraws the forward's mask: dx is dy where kept (scaled), 0 where dropped.
TEST(Dropout, BackwardUsesTheForwardMask) {
  Tensor x = random_tensor(Shape{5, 7}, 6, 0.5, 1.5);  // no zeros: a zero y means dropped
  x.set_requires_grad(true);
  const Tensor y = dropout(x, 0.4, {.seed = 11}, true);
  const Tensor dy = random_tensor(Shape{5, 7}, 7);
  y.backward(dy);
  const std::vector<double> yv = y.to_vector<double>(), dyv = dy.to_vector<double>(),
                            dx = x.grad().to_vector<double>();
  for (size_t i = 0; i < yv.size(); ++i) {
    EXPECT_EQ(dx[i], yv[i] != 0 ? dyv[i] * (1 / (1 - 0.4)) : 0.0) << i;
  }
}

TEST(Dropout, POutsideZeroToOneIsRefused) {
  const Tensor x = Tensor::zeros(Shape{3});
  for (const double p : {-0.1, 1.0, 1.5}) {
    EXPECT_TRUE(throws_with<Error>([&] { dropout(x, p, {}, true); }, {"[0, 1)"})) << p;
    EXPECT_TRUE(throws_with<Error>([&] { dropout(x, p, {}, false); }, {"[0, 1)"})) << p;
  }
  EXPECT_THROW(dropout(x, std::numeric_limits<double>::quiet_NaN(), {}, true), Error);
  EXPECT_THROW(dropout(Tensor::zeros(Shape{3}, DType::kInt32), 0.5, {}, true), Error);
}

// The mask drawn by an independent Python Philox (tools/fixtures/dropout.py).
TEST(Dropout, MatchesPythonPhiloxFixture) {
  const auto fx = test::Fixture::load("dropout");
  ASSERT_FALSE(fx.cases().empty());
  for (const std::string& c : fx.cases()) {
    SCOPED_TRACE(c);
    const auto& p = fx.params(c);
    const DropoutKey key{p.at("seed").get<uint64_t>(), p.at("step").get<uint32_t>(),
                         p.at("layer").get<uint32_t>()};
    Tensor x = fx.tensor(c, "x").clone();
    x.set_requires_grad(true);
    const Tensor y = dropout(x, p.at("p").get<double>(), key, true);
    EXPECT_TRUE(test::close_normwise(y, fx.tensor(c, "y")));
    y.backward(fx.tensor(c, "dy"));
    EXPECT_TRUE(test::close_normwise(x.grad(), fx.tensor(c, "dx")));
    // The mask itself, element by element: a normwise match could hide a few flipped draws.
    const std::vector<uint8_t> mask = fx.tensor(c, "mask").to_vector<uint8_t>();
    const std::vector<float> yv = y.to_vector<float>(), xv = x.to_vector<float>();
    for (size_t i = 0; i < mask.size(); ++i) {
      EXPECT_EQ(yv[i] != 0.0f, mask[i] != 0) << "element " << i << " x " << xv[i];
    }
  }
}

}  // namespace
}  // namespace rethink::ops
