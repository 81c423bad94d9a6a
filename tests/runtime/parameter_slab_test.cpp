#include "runtime/parameter_slab.h"

#include <gtest/gtest.h>

#include <vector>

#include "runtime/ops/linear.h"
#include "runtime/ops/relu.h"
#include "runtime/ops/softmax_cross_entropy.h"
#include "tests/support/gradcheck.h"
#include "tests/support/throws.h"

namespace rethink {
namespace {

Tensor param(const Shape& shape, std::vector<double> values) {
  Tensor t = Tensor::from_vector(shape, values);
  t.set_requires_grad(true);
  return t;
}

// A two-layer model's parameters, biases interleaved with weights as a model lists them.
struct Params {
  Tensor w1 = param(Shape{2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b1 = param(Shape{2}, {7, 8});
  Tensor w2 = param(Shape{1, 2}, {9, 10});
  Tensor b2 = param(Shape{1}, {11});
  std::vector<NamedParameter> named() const {
    return {{"0.weight", w1, true},
            {"0.bias", b1, false},
            {"1.weight", w2, true},
            {"1.bias", b2, false}};
  }
};

TEST(ParameterSlab, PacksDecayedParametersFirstInOrder) {
  Params p;
  const ParameterSlab slab(p.named());
  EXPECT_EQ(slab.numel(), 11);
  EXPECT_EQ(slab.decayed_numel(), 8);
  EXPECT_EQ(slab.values().to_vector<double>(),
            (std::vector<double>{1, 2, 3, 4, 5, 6, 9, 10, 7, 8, 11}));
}

TEST(ParameterSlab, ParametersKeepTheirValuesAndShapes) {
  Params p;
  const ParameterSlab slab(p.named());
  EXPECT_EQ(p.w1.shape(), (Shape{2, 3}));
  EXPECT_EQ(p.w1.to_vector<double>(), (std::vector<double>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(p.b1.to_vector<double>(), (std::vector<double>{7, 8}));
  EXPECT_EQ(p.w2.to_vector<double>(), (std::vector<double>{9, 10}));
  EXPECT_EQ(p.b2.to_vector<double>(), (std::vector<double>{11}));
  EXPECT_TRUE(p.w1.requires_grad());
}

TEST(ParameterSlab, ParametersLiveInTheSlab) {
  Params p;
  const Tensor w1_handle = p.w1;  // another holder of the same parameter
  const ParameterSlab slab(p.named());
  for (const Tensor& t : {p.w1, p.b1, p.w2, p.b2, w1_handle}) {
    EXPECT_TRUE(t.shares_memory_with(slab.values()));
  }
  // Writing the slab is writing the parameters: what the optimizer relies on.
  slab.values().data<double>()[6] = -9;    // w2[0, 0]
  slab.values().data<double>()[10] = -11;  // b2[0]
  EXPECT_EQ(p.w2.to_vector<double>(), (std::vector<double>{-9, 10}));
  EXPECT_EQ(p.b2.item<double>(), -11);
}

TEST(ParameterSlab, GradientsAreZeroedSlabViews) {
  Params p;
  const ParameterSlab slab(p.named());
  EXPECT_EQ(slab.grads().to_vector<double>(), std::vector<double>(11, 0.0));
  for (const Tensor& t : {p.w1, p.b1, p.w2, p.b2}) {
    ASSERT_TRUE(t.grad().defined());
    EXPECT_EQ(t.grad().shape(), t.shape());
    EXPECT_TRUE(t.grad().shares_memory_with(slab.grads()));
  }
  slab.grads().data<double>()[8] = 5;  // b1[0]
  EXPECT_EQ(p.b1.grad().to_vector<double>(), (std::vector<double>{5, 0}));
}

TEST(ParameterSlab, BackwardAccumulatesIntoTheSlab) {
  Params p;
  const ParameterSlab slab(p.named());
  const Tensor x = test::random_tensor(Shape{4, 3}, 1);
  const Tensor h = ops::relu(ops::linear(x, p.w1, p.b1));
  const Tensor loss = test::project(ops::linear(h, p.w2, p.b2));
  loss.backward();
  const std::vector<double> g = slab.grads().to_vector<double>();
  EXPECT_NE(g[10], 0.0);  // b2's gradient is the sum of the projection weights
  EXPECT_EQ(p.b2.grad().item<double>(), g[10]);
  EXPECT_EQ(p.w1.grad().to_vector<double>(), std::vector<double>(g.begin(), g.begin() + 6));
}

TEST(ParameterSlab, ZeroGradZeroesEveryGradient) {
  Params p;
  ParameterSlab slab(p.named());
  slab.grads().fill_(3);
  slab.zero_grad();
  EXPECT_EQ(slab.grads().to_vector<double>(), std::vector<double>(11, 0.0));
  EXPECT_EQ(p.w2.grad().to_vector<double>(), (std::vector<double>{0, 0}));
}

TEST(ParameterSlab, RejectsMixedDtypes) {
  Tensor a = Tensor::zeros(Shape{2}, DType::kFloat32);
  Tensor b = Tensor::zeros(Shape{2}, DType::kFloat64);
  EXPECT_TRUE(test::throws_with<Error>(
      [&] {
        ParameterSlab({{"a", a, true}, {"b", b, false}});
      },
      {"b", "float64", "float32"}));
}

TEST(ParameterSlab, RejectsNonLeavesAndEmptyLists) {
  Tensor x = Tensor::zeros(Shape{2}, DType::kFloat64);
  x.set_requires_grad(true);
  const Tensor y = ops::relu(x);
  EXPECT_TRUE(test::throws_with<Error>([&] { ParameterSlab({{"y", y, true}}); }, {"y"}));
  EXPECT_THROW(ParameterSlab(std::vector<NamedParameter>{}), Error);
}

}  // namespace
}  // namespace rethink
