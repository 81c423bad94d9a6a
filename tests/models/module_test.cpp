#include "models/module.h"

#include <gtest/gtest.h>

#include "models/layers/batch_norm2d.h"
#include "models/layers/branches.h"
#include "models/layers/conv2d.h"
#include "models/layers/dropout.h"
#include "models/layers/global_avg_pool.h"
#include "models/layers/linear.h"
#include "models/layers/max_pool2d.h"
#include "models/layers/relu.h"
#include "tests/support/throws.h"

namespace rethink {
namespace {

TEST(SequentialTest, NamesChildrenByPositionAndRunsThemInOrder) {
  Sequential seq;
  seq.add(std::make_shared<Linear>(3, 4))
      .add(std::make_shared<ReLU>())
      .add(std::make_shared<Linear>(4, 2, /*bias=*/false));
  const auto params = seq.parameters();
  ASSERT_EQ(params.size(), 3u);
  EXPECT_EQ(params[0].name, "0.weight");
  EXPECT_EQ(params[1].name, "0.bias");
  EXPECT_EQ(params[2].name, "2.weight");
  seq.initialize(3);
  EXPECT_EQ(seq.forward(Tensor::full(Shape{5, 3}, 1.0)).shape(), (Shape{5, 2}));
}

TEST(ModuleTest, TrainingModeReachesEveryDescendant) {
  Sequential outer;
  auto inner = std::make_shared<Sequential>();
  auto leaf = std::make_shared<ReLU>();
  inner->add(leaf);
  outer.add(inner);
  outer.set_training(false);
  EXPECT_FALSE(leaf->training());
  outer.set_training(true);
  EXPECT_TRUE(leaf->training());
}

TEST(ModuleTest, ParametersMovedIntoASlabStayVisibleThroughTheModule) {
  Linear layer(2, 2);
  layer.initialize(5);
  const std::vector<float> before = layer.weight().to_vector<float>();
  ParameterSlab slab(layer.parameters());
  EXPECT_TRUE(layer.weight().shares_memory_with(slab.values()));
  EXPECT_EQ(layer.weight().to_vector<float>(), before);
  slab.values().fill_(0.25);
  for (float w : layer.weight().to_vector<float>()) EXPECT_EQ(w, 0.25f);
}

TEST(ModuleTest, KnowsItsDottedPathFromTheRoot) {
  auto root = std::make_shared<Sequential>();
  auto block = std::make_shared<Branches>();
  auto conv = std::make_shared<Conv2d>(3, 4, 3);
  block->add("branch3x3", conv);
  EXPECT_EQ(conv->path(), "branch3x3");
  root->add(std::make_shared<ReLU>()).add(block);
  EXPECT_EQ(root->path(), "");
  EXPECT_EQ(conv->path(), "1.branch3x3");
  EXPECT_EQ(conv->path() + ".weight", root->parameters()[0].name);
  root.reset();  // the child outlives its parent: it becomes a root, not a dangling pointer
  EXPECT_EQ(block->path(), "");
  EXPECT_EQ(conv->path(), "branch3x3");
}

TEST(ModuleTest, StepReachesEveryDescendant) {
  Sequential outer;
  auto inner = std::make_shared<Sequential>();
  auto leaf = std::make_shared<Dropout>(0.5);
  inner->add(leaf);
  outer.add(inner);
  EXPECT_EQ(leaf->step(), 0);
  outer.set_step(41);
  EXPECT_EQ(leaf->step(), 41);
}

TEST(ModuleTest, BuffersOfAModelWithoutAnyAreNoneAndLoadingOneIsAnError) {
  Sequential seq;
  seq.add(std::make_shared<Linear>(2, 2));
  EXPECT_TRUE(seq.buffers().empty());
  seq.load_buffers({});
  EXPECT_TRUE(test::throws_with<Error>(
      [&] {
        seq.load_buffers({{"0.running_mean", Tensor::zeros(Shape{2})}});
      },
      {"'0.running_mean'", "none"}));
}

// Conv 3x3 (3 -> 8) -> BN -> ReLU -> max pool 3x3/2 -> [conv 1x1 (8 -> 4) | max pool 3x3/1]
// -> global average pool -> linear 12 -> 10.
std::shared_ptr<Sequential> small_net() {
  auto net = std::make_shared<Sequential>();
  auto branches = std::make_shared<Branches>();
  branches->add("branch1x1", std::make_shared<Conv2d>(8, 4, 1))
      .add("pool", std::make_shared<MaxPool2d>(3, 1));
  net->add(std::make_shared<Conv2d>(3, 8, 3))
      .add(std::make_shared<BatchNorm2d>(8))
      .add(std::make_shared<ReLU>())
      .add(std::make_shared<MaxPool2d>(3, 2))
      .add(branches)
      .add(std::make_shared<GlobalAvgPool>())
      .add(std::make_shared<Linear>(12, 10));
  return net;
}

TEST(SummaryTest, ListsEveryLayerWithItsShapeParametersAndMultiplyAdds) {
  auto net = small_net();
  net->initialize(1);
  const std::vector<LayerSummary> rows = summarize(*net, Shape{1, 8, 6, 3});
  struct Row {
    std::string name, type;
    Shape output;
    int64_t parameters, macs;
  };
  const std::vector<Row> expected = {
      {"0", "Conv2d", Shape{1, 8, 6, 8}, 3 * 3 * 3 * 8 + 8, 8 * 6 * 8 * 27},
      {"1", "BatchNorm2d", Shape{1, 8, 6, 8}, 8, 0},
      {"2", "ReLU", Shape{1, 8, 6, 8}, 0, 0},
      {"3", "MaxPool2d", Shape{1, 4, 3, 8}, 0, 0},
      {"4", "Branches", Shape{1, 4, 3, 12}, 0, 0},  // before its children: structure order
      {"4.branch1x1", "Conv2d", Shape{1, 4, 3, 4}, 8 * 4 + 4, 4 * 3 * 4 * 8},
      {"4.pool", "MaxPool2d", Shape{1, 4, 3, 8}, 0, 0},
      {"5", "GlobalAvgPool", Shape{1, 12}, 0, 0},
      {"6", "Linear", Shape{1, 10}, 12 * 10 + 10, 120},
  };
  ASSERT_EQ(rows.size(), expected.size());
  int64_t total = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].name, expected[i].name) << i;
    EXPECT_EQ(rows[i].type, expected[i].type) << i;
    EXPECT_EQ(rows[i].output_shape, expected[i].output) << rows[i].name;
    EXPECT_EQ(rows[i].parameters, expected[i].parameters) << rows[i].name;
    EXPECT_EQ(rows[i].macs, expected[i].macs) << rows[i].name;
    total += rows[i].parameters;
  }
  EXPECT_EQ(rows[0].input_shape, (Shape{1, 8, 6, 3}));
  EXPECT_EQ(total, net->parameter_count());
}

TEST(SummaryTest, LeavesTheModelAsItFoundIt) {
  auto net = small_net();
  net->initialize(1);
  const auto& bn = dynamic_cast<const BatchNorm2d&>((*net)[1]);
  summarize(*net, Shape{1, 5, 5, 3});
  EXPECT_TRUE(net->training());
  EXPECT_TRUE((*net)[1].training());
  EXPECT_EQ(bn.statistics().updates(), 0);  // ran in eval mode
  net->set_training(false);
  summarize(*net, Shape{1, 5, 5, 3});
  EXPECT_FALSE((*net)[4].training());
  // A shape the model cannot take fails as a forward would, and the next summary works.
  EXPECT_TRUE(test::throws_with<Error>(
      [&] {
        summarize(*net, Shape{1, 5, 5, 4});
      },
      {"Conv2d '0'", "[1, 5, 5, 4]"}));
  EXPECT_FALSE(net->training());
  EXPECT_EQ(summarize(*net, Shape{2, 5, 5, 3}).back().output_shape, (Shape{2, 10}));
}

}  // namespace
}  // namespace rethink
