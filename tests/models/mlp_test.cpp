#include "models/zoo/mlp.h"

#include <gtest/gtest.h>

#include <cmath>

#include "models/zoo/registry.h"

namespace rethink {
namespace {

// The paper's exact parameter counts for 28x28x3 inputs and 10 classes (PAPER.md section 4).
TEST(MlpTest, ParameterCountsMatchThePaper) {
  const ModelInput cifar{3, 28, 28, 10};
  EXPECT_EQ(make_model("mlp1x512", cifar)->parameter_count(), 1'209'866);
  EXPECT_EQ(make_model("mlp3x512", cifar)->parameter_count(), 1'735'178);
}

TEST(MlpTest, ParameterCountFollowsTheInputShape) {
  // 784*512 + 512 + 512*7 + 7
  EXPECT_EQ(make_model("mlp1x512", ModelInput{1, 28, 28, 7})->parameter_count(),
            784 * 512 + 512 + 512 * 7 + 7);
}

TEST(MlpTest, ParametersHavePyTorchStyleNamesAndLayouts) {
  const auto model = make_model("mlp3x512", ModelInput{3, 28, 28, 10});
  const std::vector<NamedParameter> params = model->parameters();
  ASSERT_EQ(params.size(), 8u);
  EXPECT_EQ(params[0].name, "hidden.0.weight");
  EXPECT_EQ(params[0].tensor.shape(), (Shape{512, 2352}));  // Linear weights are (out, in)
  EXPECT_EQ(params[1].name, "hidden.0.bias");
  EXPECT_EQ(params[2].name, "hidden.2.weight");  // hidden.1 is the ReLU
  EXPECT_EQ(params[6].name, "classifier.weight");
  EXPECT_EQ(params[6].tensor.shape(), (Shape{10, 512}));
  EXPECT_EQ(params[7].name, "classifier.bias");
  for (const NamedParameter& p : params) {
    EXPECT_EQ(p.decay, p.name.ends_with("weight")) << p.name;  // weight decay on weights only
  }
}

TEST(MlpTest, InitializationIsGlorotUniformWithZeroBiasAndDependsOnlyOnTheSeed) {
  auto a = make_model("mlp1x512", ModelInput{3, 28, 28, 10});
  auto b = make_model("mlp1x512", ModelInput{3, 28, 28, 10});
  auto c = make_model("mlp1x512", ModelInput{3, 28, 28, 10});
  a->initialize(7);
  b->initialize(7);
  c->initialize(8);
  const auto wa = a->parameters()[0].tensor.to_vector<float>();
  EXPECT_EQ(wa, b->parameters()[0].tensor.to_vector<float>());
  EXPECT_NE(wa, c->parameters()[0].tensor.to_vector<float>());

  const double limit = std::sqrt(6.0 / (2352 + 512));
  double sum_sq = 0;
  for (float w : wa) {
    ASSERT_LE(std::abs(w), limit);
    sum_sq += double(w) * w;
  }
  // U(-a, a) has variance a^2 / 3.
  EXPECT_NEAR(sum_sq / wa.size(), limit * limit / 3, 0.01 * limit * limit);
  for (float bias : a->parameters()[1].tensor.to_vector<float>()) EXPECT_EQ(bias, 0.0f);
  // Layers get different streams: the classifier is not a copy of the first layer's draws.
  const auto wc = a->parameters()[2].tensor.to_vector<float>();
  EXPECT_NE(wc[0] / std::sqrt(6.0 / (512 + 10)), wa[0] / limit);
}

TEST(MlpTest, ForwardGivesOneRowOfLogitsPerImage) {
  auto model = make_model("mlp3x512", ModelInput{3, 4, 5, 6});
  model->initialize(1);
  const Tensor x = Tensor::full(Shape{2, 3, 4, 5}, 0.5);
  EXPECT_EQ(model->forward(x).shape(), (Shape{2, 6}));
}

TEST(ModelRegistryTest, UnknownModelIsAUserErrorListingTheKnownOnes) {
  try {
    make_model("resnet", ModelInput{});
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("'resnet'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("mlp1x512"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace rethink
