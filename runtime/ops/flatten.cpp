#include "runtime/ops/flatten.h"

#include "runtime/autograd.h"

namespace rethink::ops {
namespace {

class FlattenBackward final : public Node {
 public:
  explicit FlattenBackward(const Tensor& x) : Node({x}), shape_(x.shape()) {}
  std::string_view name() const override { return "flatten"; }
  std::vector<Tensor> backward(const Tensor& dy, const std::vector<Tensor>&) override {
    return {dy.view(shape_)};
  }

 private:
  Shape shape_;
};

}  // namespace

Tensor flatten(const Tensor& x) {
  RT_CHECK(x.rank() >= 1, "flatten: input {} has no batch dimension", x.describe());
  Tensor y = x.view(Shape{x.size(0), x.size(0) == 0 ? 0 : x.numel() / x.size(0)});
  if (needs_grad(x)) record(y, std::make_shared<FlattenBackward>(x));
  return y;
}

}  // namespace rethink::ops
