#include "models/module.h"

#include <gtest/gtest.h>

#include "models/layers/linear.h"
#include "models/layers/relu.h"

namespace rethink {
namespace {

TEST(SequentialTest, NamesChildrenByPositionAndRunsThemInOrder) {
  Sequential seq;
  seq.add(std::make_shared<Linear>(3, 4)).add(std::make_shared<ReLU>()).add(
      std::make_shared<Linear>(4, 2, /*bias=*/false));
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

}  // namespace
}  // namespace rethink
