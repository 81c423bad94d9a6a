// The gradient checker itself: it must pass a correct gradient and catch a wrong one, or every
// op test built on it proves nothing.
#include "tests/support/gradcheck.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace rethink {
namespace {

// y = x, whose backward wrongly doubles the gradient of element `bad` only.
class IdentityWithWrongGradient final : public Node {
 public:
  IdentityWithWrongGradient(const Tensor& x, int64_t bad) : Node({x}), bad_(bad) {}
  std::string_view name() const override { return "identity_with_wrong_gradient"; }
  std::vector<Tensor> backward(const Tensor& dy, const std::vector<Tensor>&) override {
    Tensor dx = dy.clone();
    dx.data<double>()[bad_] *= 2;
    return {dx};
  }

 private:
  int64_t bad_;
};

Tensor identity_with_wrong_gradient(const Tensor& x, int64_t bad) {
  Tensor y = x.clone();
  if (needs_grad(x)) record(y, std::make_shared<IdentityWithWrongGradient>(x, bad));
  return y;
}

TEST(Gradcheck, PassesTheProjectionsExactGradient) {
  EXPECT_TRUE(test::gradcheck([](const std::vector<Tensor>& in) { return test::project(in[0]); },
                              {test::random_tensor(Shape{3, 4}, 1)}));
}

TEST(Gradcheck, CatchesAWrongGradientAndNamesTheElement) {
  const ::testing::AssertionResult r = test::gradcheck(
      [](const std::vector<Tensor>& in) {
        return test::project(identity_with_wrong_gradient(in[1], 5));
      },
      {test::random_tensor(Shape{2}, 2), test::random_tensor(Shape{2, 4}, 3)});
  ASSERT_FALSE(r);
  const std::string message = r.message();
  EXPECT_NE(message.find("input 1"), std::string::npos) << message;
  EXPECT_NE(message.find("flat index 5"), std::string::npos) << message;
  EXPECT_NE(message.find("1 gradient element(s)"), std::string::npos) << message;
}

TEST(Gradcheck, RejectsNonFloat64Inputs) {
  EXPECT_FALSE(test::gradcheck([](const std::vector<Tensor>& in) { return test::project(in[0]); },
                               {Tensor::zeros(Shape{2}, DType::kFloat32)}));
}

}  // namespace
}  // namespace rethink
