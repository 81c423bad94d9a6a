#include "models/layers/branches.h"

#include <gtest/gtest.h>

#include <vector>

#include "models/layers/batch_norm2d.h"
#include "models/layers/conv2d.h"
#include "models/layers/max_pool2d.h"
#include "models/layers/relu.h"
#include "tests/models/helpers.h"
#include "tests/support/throws.h"

namespace rethink {
namespace {

using kernels::PaddingMode;
using test::float_tensor;

// The paper's conv module, conv (no bias) -> BN (beta only) -> ReLU, with named children as
// the zoo's Inception names them.
class ConvModule : public Module {
 public:
  ConvModule(int64_t in, int64_t out, int64_t k, int64_t s) {
    conv_ = add_module("conv", std::make_shared<Conv2d>(in, out, k, s, PaddingMode::kSame, false));
    bn_ = add_module("bn", std::make_shared<BatchNorm2d>(out));
    relu_ = add_module("relu", std::make_shared<ReLU>());
  }
  Tensor forward(const Tensor& x) override { return (*relu_)((*bn_)((*conv_)(x))); }

 private:
  std::shared_ptr<Conv2d> conv_;
  std::shared_ptr<BatchNorm2d> bn_;
  std::shared_ptr<ReLU> relu_;
};

TEST(BranchesTest, ConcatenatesTheChildrensChannelsInTheOrderAdded) {
  auto a = std::make_shared<Conv2d>(3, 2, 1);
  auto b = std::make_shared<Conv2d>(3, 5, 3);
  Branches branches;
  branches.add("branch1x1", a).add("branch3x3", b);
  branches.initialize(4);
  const Tensor x = float_tensor(Shape{2, 4, 3, 3}, 1);
  const std::vector<float> ya = (*a)(x).to_vector<float>();
  const std::vector<float> yb = (*b)(x).to_vector<float>();
  const Tensor y = branches(x);
  ASSERT_EQ(y.shape(), (Shape{2, 4, 3, 7}));
  const std::vector<float> yv = y.to_vector<float>();
  for (size_t p = 0; p < 24; ++p) {
    for (size_t c = 0; c < 7; ++c) {
      const float expected = c < 2 ? ya[p * 2 + c] : yb[p * 5 + (c - 2)];
      ASSERT_EQ(yv[p * 7 + c], expected) << "pixel " << p << " channel " << c;
    }
  }
}

TEST(BranchesTest, ChildrenAreNamedAsGivenAndCountLikeThePapersModules) {
  // Inception(32, 32) on 96 channels: 3,104 + 27,680 (PAPER.md section 4.1, row 2).
  Branches inception;
  inception.add("branch1x1", std::make_shared<ConvModule>(96, 32, 1, 1))
      .add("branch3x3", std::make_shared<ConvModule>(96, 32, 3, 1));
  const auto params = inception.parameters();
  ASSERT_EQ(params.size(), 4u);
  EXPECT_EQ(params[0].name, "branch1x1.conv.weight");
  EXPECT_EQ(params[1].name, "branch1x1.bn.bias");
  EXPECT_EQ(params[2].name, "branch3x3.conv.weight");
  EXPECT_EQ(params[3].name, "branch3x3.bn.bias");
  EXPECT_EQ(inception.parameter_count(), 3'104 + 27'680);
  EXPECT_EQ(inception.buffers()[0].name, "branch1x1.bn.running_mean");

  // Downsample(80): a stride-2 conv module beside a stride-2 max pool, 28 -> 14, 80 + 80.
  Branches downsample;
  downsample.add("conv", std::make_shared<ConvModule>(80, 80, 3, 2))
      .add("pool", std::make_shared<MaxPool2d>(3, 2));
  EXPECT_EQ(downsample.parameter_count(), 57'680);
  downsample.initialize(1);
  downsample.set_training(false);
  EXPECT_EQ(downsample(Tensor::zeros(Shape{1, 28, 28, 80})).shape(), (Shape{1, 14, 14, 160}));
}

TEST(BranchesTest, BranchesThatDisagreeOnTheImageSizeAreAnErrorNamingThem) {
  Sequential model;
  auto block = std::make_shared<Branches>();
  block->add("conv", std::make_shared<Conv2d>(2, 2, 3, 2, PaddingMode::kValid))
      .add("pool", std::make_shared<MaxPool2d>(3, 2, PaddingMode::kSame));
  model.add(block);
  model.initialize(0);
  EXPECT_TRUE(test::throws_with<Error>(
      [&] {
        model(Tensor::zeros(Shape{1, 8, 8, 2}));
      },
      {"Branches '0'", "'pool'", "[1, 4, 4, 2]", "'conv'", "[1, 3, 3, 2]"}));
  EXPECT_TRUE(test::throws_with<Error>([&] { block->add("conv", std::make_shared<ReLU>()); },
                                       {"already", "'conv'"}));
  EXPECT_TRUE(test::throws_with<Error>([&] { block->add("a.b", std::make_shared<ReLU>()); },
                                       {"'a.b'", "dots"}));
  Branches empty;
  EXPECT_TRUE(test::throws_with<Error>(
      [&] {
        empty(Tensor::zeros(Shape{1, 2, 2, 1}));
      },
      {"Branches", "no branches"}));
}

}  // namespace
}  // namespace rethink
