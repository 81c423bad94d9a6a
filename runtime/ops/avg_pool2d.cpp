#include "runtime/ops/avg_pool2d.h"

#include "kernels/avg_pool2d.h"
#include "runtime/autograd.h"
#include "runtime/ops/op_checks.h"

namespace rethink::ops {
namespace {

class AvgPool2dBackward final : public Node {
 public:
  AvgPool2dBackward(const Tensor& x, const kernels::WindowedShape& shape)
      : Node({x}), shape_(shape) {}
  std::string_view name() const override { return "avg_pool2d"; }

  std::vector<Tensor> backward(const Tensor& dy, const std::vector<Tensor>&) override {
    const Tensor& x = inputs()[0];
    Tensor dx = Tensor::empty(x.shape(), x.dtype(), x.device());
    dispatch_floating(x.dtype(), "avg_pool2d backward", [&]<class T>() {
      if (x.device().is_cpu()) {
        kernels::cpu::avg_pool2d_backward(dy.data<T>(), shape_, dx.data<T>());
      } else if constexpr (kBuiltWithCuda) {
        kernels::cuda::avg_pool2d_backward(dy.data<T>(), shape_, dx.data<T>(), stream_of(x));
      }
    });
    return {dx};
  }

 private:
  kernels::WindowedShape shape_;
};

}  // namespace

Tensor avg_pool2d(const Tensor& x, const Pool2dOptions& options) {
  const kernels::WindowedShape s = pool2d_shape(x, options, "avg_pool2d");
  Tensor y = Tensor::empty(Shape{s.batch, s.out_h, s.out_w, s.in_c}, x.dtype(), x.device());
  dispatch_floating(x.dtype(), "avg_pool2d", [&]<class T>() {
    if (x.device().is_cpu()) {
      kernels::cpu::avg_pool2d_forward(x.data<T>(), s, y.data<T>());
    } else if constexpr (kBuiltWithCuda) {
      kernels::cuda::avg_pool2d_forward(x.data<T>(), s, y.data<T>(), stream_of(x));
    }
  });
  if (needs_grad(x)) record(y, std::make_shared<AvgPool2dBackward>(x, s));
  return y;
}

}  // namespace rethink::ops
