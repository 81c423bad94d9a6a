#include "runtime/ops/relu.h"

#include "kernels/relu.h"
#include "runtime/autograd.h"
#include "runtime/ops/op_checks.h"

namespace rethink::ops {
namespace {

class ReluBackward final : public Node {
 public:
  // Keeps the output without its history: holding the output's own node would be a cycle.
  ReluBackward(const Tensor& x, const Tensor& y) : Node({x}), y_(y.detach()) {}
  std::string_view name() const override { return "relu"; }

  std::vector<Tensor> backward(const Tensor& dy, const std::vector<Tensor>&) override {
    Tensor dx = Tensor::empty(y_.shape(), y_.dtype(), y_.device());
    dispatch_floating(y_.dtype(), "relu backward", [&]<class T>() {
      if (y_.device().is_cpu()) {
        kernels::cpu::relu_backward(y_.data<T>(), dy.data<T>(), dx.data<T>(), y_.numel());
      } else if constexpr (kBuiltWithCuda) {
        kernels::cuda::relu_backward(y_.data<T>(), dy.data<T>(), dx.data<T>(), y_.numel(),
                                     stream_of(y_));
      }
    });
    return {dx};
  }

 private:
  Tensor y_;
};

}  // namespace

Tensor relu(const Tensor& x) {
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  dispatch_floating(x.dtype(), "relu", [&]<class T>() {
    if (x.device().is_cpu()) {
      kernels::cpu::relu_forward(x.data<T>(), y.data<T>(), x.numel());
    } else if constexpr (kBuiltWithCuda) {
      kernels::cuda::relu_forward(x.data<T>(), y.data<T>(), x.numel(), stream_of(x));
    }
  });
  if (needs_grad(x)) record(y, std::make_shared<ReluBackward>(x, y));
  return y;
}

}  // namespace rethink::ops
