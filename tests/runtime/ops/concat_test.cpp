#include "runtime/ops/concat.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime/autograd.h"
#include "tests/support/data.h"
#include "tests/support/fixture.h"
#include "tests/support/gradcheck.h"
#include "tests/support/throws.h"

namespace rethink::ops {
namespace {

using test::gradcheck;
using test::random_tensor;
using test::throws_with;

// Shape of an input: `outer` dimensions followed by `channels`.
Shape with_channels(const std::vector<int64_t>& outer, int64_t channels) {
  std::vector<int64_t> dims = outer;
  dims.push_back(channels);
  return Shape(dims);
}

// (outer dimensions, channel counts): rank 1, 2 and 4; one, two and three inputs; batch 1,
// 1x1 spatial, non-square; 1/3/5/32 channels and an empty input.
struct Case {
  std::vector<int64_t> outer;
  std::vector<int64_t> channels;
};
const std::vector<Case> kCases = {
    {{}, {3, 2}},           {{4}, {5}},
    {{3}, {1, 3, 5}},       {{1, 1, 1}, {32, 3}},
    {{2, 3, 2}, {1, 5, 3}}, {{1, 2, 3}, {3, 0, 2}},
    {{2, 1, 4}, {32, 1}},
};

TEST(ConcatChannels, ForwardMatchesNaive) {
  for (const Case& k : kCases) {
    SCOPED_TRACE(::testing::Message() << with_channels(k.outer, 0).to_string() << " with "
                                      << k.channels.size() << " inputs");
    int64_t rows = 1, total = 0;
    for (const int64_t d : k.outer) rows *= d;
    std::vector<Tensor> xs;
    std::vector<std::vector<float>> values;
    for (size_t i = 0; i < k.channels.size(); ++i) {
      values.push_back(test::uniform_values<float>(rows * k.channels[i], 20 + i));
      xs.push_back(Tensor::from_vector(with_channels(k.outer, k.channels[i]), values.back()));
      total += k.channels[i];
    }
    std::vector<float> want;
    for (int64_t r = 0; r < rows; ++r) {
      for (size_t i = 0; i < xs.size(); ++i) {
        for (int64_t c = 0; c < k.channels[i]; ++c)
          want.push_back(values[i][r * k.channels[i] + c]);
      }
    }
    const Tensor y = concat_channels(xs);
    EXPECT_EQ(y.shape(), with_channels(k.outer, total));
    EXPECT_EQ(y.to_vector<float>(), want);
  }
}

TEST(ConcatChannels, BackwardMatchesFiniteDifferences) {
  for (const Case& k : kCases) {
    SCOPED_TRACE(::testing::Message() << with_channels(k.outer, 0).to_string() << " with "
                                      << k.channels.size() << " inputs");
    std::vector<Tensor> xs;
    for (size_t i = 0; i < k.channels.size(); ++i) {
      xs.push_back(random_tensor(with_channels(k.outer, k.channels[i]), 30 + i));
    }
    EXPECT_TRUE(gradcheck(
        [](const std::vector<Tensor>& v) { return test::project(concat_channels(v)); }, xs));
  }
}

// The same tensor twice gets both slices' gradients added.
TEST(ConcatChannels, RepeatedInputAccumulatesBothSlices) {
  EXPECT_TRUE(gradcheck(
      [](const std::vector<Tensor>& v) {
        return test::project(concat_channels({v[0], v[1], v[0]}));
      },
      {random_tensor(Shape{2, 3, 4}, 40), random_tensor(Shape{2, 3, 1}, 41)}));
}

// Only inputs that require a gradient receive one: their exact slice of dy.
TEST(ConcatChannels, OnlyInputsRequiringGradGetOne) {
  Tensor a = Tensor::from_vector(Shape{2, 1}, std::vector<double>{1, 2});
  const Tensor b = Tensor::from_vector(Shape{2, 2}, std::vector<double>{3, 4, 5, 6});
  Tensor c = Tensor::from_vector(Shape{2, 1}, std::vector<double>{7, 8});
  a.set_requires_grad(true);
  c.set_requires_grad(true);
  const Tensor y = concat_channels({a, b, c});
  EXPECT_EQ(y.to_vector<double>(), (std::vector<double>{1, 3, 4, 7, 2, 5, 6, 8}));
  y.backward(Tensor::from_vector(Shape{2, 4}, std::vector<double>{10, 11, 12, 13, 14, 15, 16, 17}));
  EXPECT_EQ(a.grad().to_vector<double>(), (std::vector<double>{10, 14}));
  EXPECT_EQ(c.grad().to_vector<double>(), (std::vector<double>{13, 17}));
  EXPECT_FALSE(b.grad().defined());
}

TEST(ConcatChannels, RecordsANodeOnlyWhenAGradientIsNeeded) {
  const Tensor a = random_tensor(Shape{2, 3}, 50);
  Tensor b = random_tensor(Shape{2, 2}, 51);
  EXPECT_FALSE(concat_channels({a, b}).grad_fn());
  b.set_requires_grad(true);
  const Tensor y = concat_channels({a, b});
  ASSERT_TRUE(y.grad_fn());
  EXPECT_EQ(y.grad_fn()->name(), "concat_channels");
}

// One input gives a copy, not an alias: writing to the output leaves the input alone.
TEST(ConcatChannels, SingleInputIsACopy) {
  const Tensor x = random_tensor(Shape{2, 3}, 52);
  const Tensor y = concat_channels({x});
  EXPECT_FALSE(y.shares_memory_with(x));
  EXPECT_EQ(y.to_vector<double>(), x.to_vector<double>());
}

TEST(ConcatChannels, BadArgumentsThrowNamingTheShapes) {
  EXPECT_TRUE(throws_with<Error>([] { concat_channels({}); }, {"no inputs"}));
  EXPECT_TRUE(throws_with<Error>(
      [] {
        concat_channels({Tensor::zeros(Shape{2, 3, 4}), Tensor::zeros(Shape{2, 4, 5})});
      },
      {"[2, 4, 5]", "[2, 3, 4]", "input 1"}));
  EXPECT_TRUE(throws_with<Error>(
      [] {
        concat_channels({Tensor::zeros(Shape{2, 3}), Tensor::zeros(Shape{1, 2, 3})});
      },
      {"[1, 2, 3]", "[2, 3]"}));
  EXPECT_TRUE(throws_with<Error>(
      [] {
        concat_channels({Tensor::zeros(Shape{2, 3}), Tensor::zeros(Shape{2, 1}, DType::kFloat64)});
      },
      {"dtype", "float64"}));
  EXPECT_TRUE(
      throws_with<Error>([] { concat_channels({Tensor::zeros(Shape{})}); }, {"channel dimension"}));
  EXPECT_TRUE(throws_with<Error>(
      [] {
        concat_channels({Tensor::zeros(Shape{2}), Tensor()});
      },
      {"input 1", "undefined"}));
  EXPECT_TRUE(throws_with<Error>(
      [] {
        concat_channels({Tensor::zeros(Shape{2, 1}, DType::kInt32)});
      },
      {"int32"}));
}

// "x0", "dx1", ...: built by appending, since GCC 12 warns (-Wrestrict, a false positive) on
// "x" + std::to_string(i).
std::string indexed(const char* stem, int64_t i) {
  std::string name = stem;
  name += std::to_string(i);
  return name;
}

// PyTorch's reference (tools/fixtures/concat.py): torch.cat(dim=1) on NCHW, moved to NHWC.
TEST(ConcatChannels, MatchesPyTorchFixture) {
  const auto fx = test::Fixture::load("concat");
  ASSERT_FALSE(fx.cases().empty());
  for (const std::string& c : fx.cases()) {
    SCOPED_TRACE(c);
    const int64_t inputs = fx.params(c).at("inputs").get<int64_t>();
    std::vector<Tensor> xs;
    for (int64_t i = 0; i < inputs; ++i) {
      xs.push_back(fx.tensor(c, indexed("x", i)).clone());
      ASSERT_EQ(xs.back().dtype(), DType::kFloat32);
      xs.back().set_requires_grad(true);
    }
    const Tensor y = concat_channels(xs);
    EXPECT_TRUE(test::close_normwise(y, fx.tensor(c, "y")));
    y.backward(fx.tensor(c, "dy"));
    for (int64_t i = 0; i < inputs; ++i) {
      EXPECT_TRUE(test::close_normwise(xs[i].grad(), fx.tensor(c, indexed("dx", i))))
          << "input " << i;
    }
  }
}

}  // namespace
}  // namespace rethink::ops
