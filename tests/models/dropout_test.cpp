#include "models/layers/dropout.h"

#include <gtest/gtest.h>

#include <vector>

#include "models/layers/linear.h"
#include "models/layers/relu.h"
#include "tests/models/helpers.h"
#include "tests/support/throws.h"

namespace rethink {
namespace {

using test::float_tensor;

// The mask rule of ops::dropout, spelled out: element i survives iff its Philox draw under
// (seed, step, layer) is at least p, and survivors are scaled by 1 / (1 - p).
std::vector<float> expected_dropout(const Tensor& x, double p, uint64_t seed, uint32_t step,
                                    uint32_t layer) {
  const auto stream = PhiloxStream::make(seed, RngPurpose::kDropout, step, layer);
  const float scale = static_cast<float>(1 / (1 - p));
  std::vector<float> v = x.to_vector<float>();
  for (size_t i = 0; i < v.size(); ++i) {
    v[i] = stream.uniform(i) >= static_cast<float>(p) ? v[i] * scale : 0.0f;
  }
  return v;
}

TEST(DropoutLayerTest, EvalModeIsTheIdentity) {
  Dropout drop(0.5);
  drop.initialize(3);
  drop.set_training(false);
  const Tensor x = float_tensor(Shape{4, 8}, 1);
  EXPECT_EQ(drop(x).to_vector<float>(), x.to_vector<float>());
  EXPECT_EQ(drop.parameter_count(), 0);
  EXPECT_TRUE(drop.buffers().empty());
}

TEST(DropoutLayerTest, MasksAreKeyedBySeedStepAndLayerIdInStructureOrder) {
  Sequential model;
  auto first = std::make_shared<Dropout>(0.3);
  auto second = std::make_shared<Dropout>(0.6);
  model.add(first).add(std::make_shared<ReLU>()).add(second);
  model.initialize(77);
  model.set_step(12);
  EXPECT_EQ(second->step(), 12);  // set_step reaches every descendant
  EXPECT_EQ(first->key().layer, 0u);
  EXPECT_EQ(second->key().layer, 1u);
  EXPECT_EQ(second->key().seed, 77u);

  const Tensor x = float_tensor(Shape{3, 5, 7}, 2, 0.5, 1.5);  // positive: ReLU is a no-op
  const Tensor y = model(x);
  const Tensor after_first = Tensor::from_vector(x.shape(), expected_dropout(x, 0.3, 77, 12, 0));
  const std::vector<float> expected = expected_dropout(after_first, 0.6, 77, 12, 1);
  EXPECT_EQ(y.to_vector<float>(), expected);

  // The same key gives the same mask; another step, another.
  EXPECT_EQ(model(x).to_vector<float>(), expected);
  model.set_step(13);
  EXPECT_NE(model(x).to_vector<float>(), expected);
  model.set_step(12);
  model.initialize(78);
  EXPECT_NE(model(x).to_vector<float>(), expected);
}

TEST(DropoutLayerTest, DropsAboutPOfTheElements) {
  Dropout drop(0.25);
  drop.initialize(5);
  const Tensor y = drop(Tensor::full(Shape{100000}, 1.0));
  int64_t zeros = 0;
  for (float v : y.to_vector<float>()) {
    if (v == 0.0f) {
      ++zeros;
    } else {
      ASSERT_FLOAT_EQ(v, 1 / 0.75f);
    }
  }
  EXPECT_NEAR(static_cast<double>(zeros) / 100000, 0.25, 0.005);
}

TEST(DropoutLayerTest, LayerIdsDoNotShiftOtherLayersInitialWeights) {
  Sequential with, without;
  with.add(std::make_shared<Linear>(4, 4))
      .add(std::make_shared<Dropout>(0.5))
      .add(std::make_shared<Linear>(4, 2));
  without.add(std::make_shared<Linear>(4, 4)).add(std::make_shared<Linear>(4, 2));
  with.initialize(9);
  without.initialize(9);
  EXPECT_EQ(with.parameters()[2].tensor.to_vector<float>(),
            without.parameters()[2].tensor.to_vector<float>());
}

TEST(DropoutLayerTest, RejectsAProbabilityOutsideZeroToOne) {
  EXPECT_TRUE(test::throws_with<Error>([] { Dropout(1.0); }, {"Dropout(1)", "[0, 1)"}));
  EXPECT_TRUE(test::throws_with<Error>([] { Dropout(-0.1); }, {"Dropout(-0.1)"}));
  Sequential model;
  EXPECT_TRUE(test::throws_with<Error>([&] { model.set_step(-1); }, {"-1"}));
}

}  // namespace
}  // namespace rethink
