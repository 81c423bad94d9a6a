#include "runtime/ops/linear.h"

#include "kernels/bias.h"
#include "kernels/gemm.h"
#include "runtime/autograd.h"
#include "runtime/ops/op_checks.h"

namespace rethink::ops {
namespace {

class LinearBackward final : public Node {
 public:
  LinearBackward(const Tensor& x, const Tensor& weight, const Tensor& bias)
      : Node({x, weight, bias}) {}
  std::string_view name() const override { return "linear"; }

  std::vector<Tensor> backward(const Tensor& dy, const std::vector<Tensor>& into) override {
    const Tensor& x = inputs()[0];
    const Tensor& w = inputs()[1];
    const Tensor& b = inputs()[2];
    const int64_t batch = x.size(0), in = x.size(1), out = w.size(0);
    Tensor dx, dw, db;
    dispatch_floating(x.dtype(), "linear backward", [&]<class T>() {
      if (x.requires_grad()) {
        dx = Tensor::empty(x.shape(), x.dtype(), x.device());  // dx = dy W
        kernels::cpu::gemm<T>(false, false, batch, in, out, 1, dy.data<T>(), out, w.data<T>(), in,
                              0, dx.data<T>(), in);
      }
      if (w.requires_grad()) {
        // dW = dy^T x, added straight into the weight's gradient buffer when it has one.
        const bool add = into[1].defined();
        if (!add) dw = Tensor::empty(w.shape(), w.dtype(), w.device());
        kernels::cpu::gemm<T>(true, false, out, in, batch, 1, dy.data<T>(), out, x.data<T>(), in,
                              add ? T(1) : T(0), (add ? into[1] : dw).data<T>(), in);
      }
      if (b.defined() && b.requires_grad()) {
        const bool add = into[2].defined();
        if (!add) db = Tensor::empty(b.shape(), b.dtype(), b.device());
        kernels::cpu::bias_grad_rows(dy.data<T>(), batch, out, (add ? into[2] : db).data<T>(), add);
      }
    });
    return {dx, dw, db};
  }
};

}  // namespace

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  require_rank(x, 2, "linear", "input");
  require_rank(weight, 2, "linear", "weight");
  require_cpu(x, "linear");
  check_same_device(x, weight, "linear");
  RT_CHECK(x.dtype() == weight.dtype(), "linear: input {} and weight {} differ in dtype",
           x.describe(), weight.describe());
  RT_CHECK(x.size(1) == weight.size(1), "linear: input {} has {} features but weight {} expects {}",
           x.shape().to_string(), x.size(1), weight.shape().to_string(), weight.size(1));
  const int64_t batch = x.size(0), in = x.size(1), out = weight.size(0);
  if (bias.defined()) {
    check_shape(bias, Shape{out}, "linear bias");
    RT_CHECK(bias.dtype() == x.dtype(), "linear: bias {} and input {} differ in dtype",
             bias.describe(), x.describe());
  }

  Tensor y = Tensor::empty(Shape{batch, out}, x.dtype(), x.device());
  dispatch_floating(x.dtype(), "linear", [&]<class T>() {
    kernels::cpu::gemm<T>(false, true, batch, out, in, 1, x.data<T>(), in, weight.data<T>(), in, 0,
                          y.data<T>(), out);
    if (bias.defined()) kernels::cpu::bias_add_rows(bias.data<T>(), batch, out, y.data<T>());
  });
  if (needs_grad(x, weight, bias)) record(y, std::make_shared<LinearBackward>(x, weight, bias));
  return y;
}

}  // namespace rethink::ops
