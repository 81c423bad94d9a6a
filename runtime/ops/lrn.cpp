#include "runtime/ops/lrn.h"

#include <cmath>

#include "kernels/lrn.h"
#include "runtime/autograd.h"
#include "runtime/ops/op_checks.h"

namespace rethink::ops {
namespace {

kernels::LrnParams params_for(const Tensor& x, const LrnOptions& o) {
  return {x.size(-1), o.depth_radius, o.bias, o.alpha, o.beta};
}

class LrnBackward final : public Node {
 public:
  // Keeps the output without history (holding the output's own node would be a cycle) and
  // the forward's 1 / s.
  LrnBackward(const Tensor& x, const Tensor& y, Tensor inv_norm, const LrnOptions& options)
      : Node({x}), y_(y.detach()), inv_norm_(std::move(inv_norm)), options_(options) {}
  std::string_view name() const override { return "lrn"; }

  std::vector<Tensor> backward(const Tensor& dy, const std::vector<Tensor>&) override {
    const Tensor& x = inputs()[0];
    Tensor dx = Tensor::empty(x.shape(), x.dtype(), x.device());
    const kernels::LrnParams p = params_for(x, options_);
    const int64_t pixels = p.channels == 0 ? 0 : x.numel() / p.channels;
    dispatch_floating(x.dtype(), "lrn backward", [&]<class T>() {
      if (x.device().is_cpu()) {
        kernels::cpu::lrn_backward(x.data<T>(), y_.data<T>(), inv_norm_.data<T>(), dy.data<T>(),
                                   dx.data<T>(), pixels, p);
      } else if constexpr (kBuiltWithCuda) {
        kernels::cuda::lrn_backward(x.data<T>(), y_.data<T>(), inv_norm_.data<T>(), dy.data<T>(),
                                    dx.data<T>(), pixels, p, stream_of(x));
      }
    });
    return {dx};
  }

 private:
  Tensor y_;
  Tensor inv_norm_;
  LrnOptions options_;
};

}  // namespace

Tensor lrn(const Tensor& x, const LrnOptions& options) {
  RT_CHECK(x.rank() >= 1, "lrn: input {} has no channel dimension (expected NHWC, channels last)",
           x.describe());
  RT_CHECK(options.depth_radius >= 0, "lrn: depth_radius must be >= 0, got {}",
           options.depth_radius);
  // s = bias + alpha * (sum of squares) must stay positive for s^-beta to be finite.
  RT_CHECK(std::isfinite(options.bias) && options.bias > 0,
           "lrn: bias must be positive and finite, got {} (TensorFlow's default is 1)",
           options.bias);
  RT_CHECK(std::isfinite(options.alpha) && options.alpha >= 0,
           "lrn: alpha must be >= 0 and finite, got {} (TensorFlow's alpha, which multiplies the "
           "plain sum: PyTorch's LocalResponseNorm alpha divided by 2 * depth_radius + 1)",
           options.alpha);
  RT_CHECK(std::isfinite(options.beta), "lrn: beta must be finite, got {}", options.beta);

  const kernels::LrnParams p = params_for(x, options);
  const int64_t pixels = p.channels == 0 ? 0 : x.numel() / p.channels;
  const bool grad = needs_grad(x);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  // 1 / s only when a backward will need it; otherwise the kernel passes it through y.
  Tensor inv_norm = grad ? Tensor::empty(x.shape(), x.dtype(), x.device()) : Tensor();
  dispatch_floating(x.dtype(), "lrn", [&]<class T>() {
    T* inv = grad ? inv_norm.data<T>() : nullptr;
    if (x.device().is_cpu()) {
      kernels::cpu::lrn_forward(x.data<T>(), y.data<T>(), inv, pixels, p);
    } else if constexpr (kBuiltWithCuda) {
      kernels::cuda::lrn_forward(x.data<T>(), y.data<T>(), inv, pixels, p, stream_of(x));
    }
  });
  if (grad) record(y, std::make_shared<LrnBackward>(x, y, std::move(inv_norm), options));
  return y;
}

}  // namespace rethink::ops
