#include "runtime/ops/max_pool2d.h"

#include <cstdint>

#include "kernels/max_pool2d.h"
#include "runtime/autograd.h"
#include "runtime/ops/op_checks.h"

namespace rethink::ops {
namespace {

class MaxPool2dBackward final : public Node {
 public:
  // The forward's argmax is kept: the backward then needs neither x nor y, only where each
  // maximum was.
  MaxPool2dBackward(const Tensor& x, Tensor argmax, const kernels::WindowedShape& shape)
      : Node({x}), argmax_(std::move(argmax)), shape_(shape) {}
  std::string_view name() const override { return "max_pool2d"; }

  std::vector<Tensor> backward(const Tensor& dy, const std::vector<Tensor>&) override {
    const Tensor& x = inputs()[0];
    Tensor dx = Tensor::empty(x.shape(), x.dtype(), x.device());
    dispatch_floating(x.dtype(), "max_pool2d backward", [&]<class T>() {
      if (x.device().is_cpu()) {
        kernels::cpu::max_pool2d_backward(dy.data<T>(), argmax_.data<int32_t>(), shape_,
                                          dx.data<T>());
      } else if constexpr (kBuiltWithCuda) {
        kernels::cuda::max_pool2d_backward(dy.data<T>(), argmax_.data<int32_t>(), shape_,
                                           dx.data<T>(), stream_of(x));
      }
    });
    return {dx};
  }

 private:
  Tensor argmax_;
  kernels::WindowedShape shape_;
};

}  // namespace

Tensor max_pool2d(const Tensor& x, const Pool2dOptions& options) {
  const kernels::WindowedShape s = pool2d_shape(x, options, "max_pool2d");
  RT_CHECK(s.in_h * s.in_w <= INT32_MAX,
           "max_pool2d: {} has more pixels per image than int32 argmax indices can address",
           x.describe());
  const Shape out{s.batch, s.out_h, s.out_w, s.in_c};
  Tensor y = Tensor::empty(out, x.dtype(), x.device());
  const bool grad = needs_grad(x);
  const Tensor argmax = grad ? Tensor::empty(out, DType::kInt32, x.device()) : Tensor();
  dispatch_floating(x.dtype(), "max_pool2d", [&]<class T>() {
    int32_t* where = grad ? argmax.data<int32_t>() : nullptr;
    if (x.device().is_cpu()) {
      kernels::cpu::max_pool2d_forward(x.data<T>(), s, y.data<T>(), where);
    } else if constexpr (kBuiltWithCuda) {
      kernels::cuda::max_pool2d_forward(x.data<T>(), s, y.data<T>(), where, stream_of(x));
    }
  });
  if (grad) record(y, std::make_shared<MaxPool2dBackward>(x, argmax, s));
  return y;
}

}  // namespace rethink::ops
