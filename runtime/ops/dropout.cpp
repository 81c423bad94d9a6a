#include "runtime/ops/dropout.h"

#include "kernels/dropout.h"
#include "runtime/autograd.h"
#include "runtime/ops/op_checks.h"

namespace rethink::ops {
namespace {

void apply(const Tensor& in, const Tensor& out, double p, const DropoutKey& key) {
  const kernels::PhiloxStream stream = kernels::dropout_stream(key.seed, key.step, key.layer);
  dispatch_floating(in.dtype(), "dropout", [&]<class T>() {
    if (in.device().is_cpu()) {
      kernels::cpu::dropout_apply(in.data<T>(), out.data<T>(), in.numel(), p, stream);
    } else if constexpr (kBuiltWithCuda) {
      kernels::cuda::dropout_apply(in.data<T>(), out.data<T>(), in.numel(), p, stream,
                                   stream_of(in));
    }
  });
}

class DropoutBackward final : public Node {
 public:
  DropoutBackward(const Tensor& x, double p, const DropoutKey& key) : Node({x}), p_(p), key_(key) {}
  std::string_view name() const override { return "dropout"; }

  // dx = dy * mask / (1 - p): the forward's map applied to dy, with the mask redrawn.
  std::vector<Tensor> backward(const Tensor& dy, const std::vector<Tensor>&) override {
    Tensor dx = Tensor::empty(dy.shape(), dy.dtype(), dy.device());
    apply(dy, dx, p_, key_);
    return {dx};
  }

 private:
  double p_;
  DropoutKey key_;
};

}  // namespace

Tensor dropout(const Tensor& x, double p, const DropoutKey& key, bool training) {
  RT_CHECK(p >= 0 && p < 1,
           "dropout: p is the probability of dropping an element and must be in [0, 1), got {}", p);
  if (!training || p == 0) return x;
  RT_CHECK(is_floating(x.dtype()), "dropout: expected a float32 or float64 tensor, got {}",
           x.describe());
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  apply(x, y, p, key);
  if (needs_grad(x)) record(y, std::make_shared<DropoutBackward>(x, p, key));
  return y;
}

}  // namespace rethink::ops
