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
    const bool want_db = b.defined() && b.requires_grad();
    if (x.requires_grad()) dx = Tensor::empty(x.shape(), x.dtype(), x.device());
    // dW and db go straight into the gradient buffers when there are some.
    const bool add_dw = w.requires_grad() && into[1].defined();
    const bool add_db = want_db && into[2].defined();
    if (w.requires_grad() && !add_dw) dw = Tensor::empty(w.shape(), w.dtype(), w.device());
    if (want_db && !add_db) db = Tensor::empty(b.shape(), b.dtype(), b.device());
    dispatch_floating(x.dtype(), "linear backward", [&]<class T>() {
      const T* g = dy.data<T>();
      T* dw_out = w.requires_grad() ? (add_dw ? into[1] : dw).data<T>() : nullptr;
      T* db_out = want_db ? (add_db ? into[2] : db).data<T>() : nullptr;
      if (x.device().is_cpu()) {
        namespace k = kernels::cpu;
        if (dx.defined()) {  // dx = dy W
          k::gemm<T>(false, false, batch, in, out, 1, g, out, w.data<T>(), in, 0, dx.data<T>(), in);
        }
        if (dw_out) {  // dW = dy^T x
          k::gemm<T>(true, false, out, in, batch, 1, g, out, x.data<T>(), in, add_dw ? T(1) : T(0),
                     dw_out, in);
        }
        if (db_out) k::bias_grad_rows(g, batch, out, db_out, add_db);
      } else if constexpr (kBuiltWithCuda) {
        namespace k = kernels::cuda;
        const kernels::cuda::Context ctx = cuda_context(x.device());
        if (dx.defined()) {
          k::gemm<T>(ctx, false, false, batch, in, out, 1, g, out, w.data<T>(), in, 0, dx.data<T>(),
                     in);
        }
        if (dw_out) {
          k::gemm<T>(ctx, true, false, out, in, batch, 1, g, out, x.data<T>(), in,
                     add_dw ? T(1) : T(0), dw_out, in);
        }
        if (db_out) {
          const Tensor scratch =
              device_scratch(x.device(), k::bias_grad_workspace_bytes(batch, out));
          k::bias_grad_rows(g, batch, out, db_out, add_db, scratch.raw_data(), ctx.stream);
        }
      }
    });
    return {dx, dw, db};
  }
};

}  // namespace

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  require_rank(x, 2, "linear", "input");
  require_rank(weight, 2, "linear", "weight");
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
    check_same_device(x, bias, "linear");
  }

  Tensor y = Tensor::empty(Shape{batch, out}, x.dtype(), x.device());
  dispatch_floating(x.dtype(), "linear", [&]<class T>() {
    const T* b = bias.defined() ? bias.data<T>() : nullptr;
    if (x.device().is_cpu()) {
      kernels::cpu::gemm<T>(false, true, batch, out, in, 1, x.data<T>(), in, weight.data<T>(), in,
                            0, y.data<T>(), out);
      if (b) kernels::cpu::bias_add_rows(b, batch, out, y.data<T>());
    } else if constexpr (kBuiltWithCuda) {
      const kernels::cuda::Context ctx = cuda_context(x.device());
      kernels::cuda::gemm<T>(ctx, false, true, batch, out, in, 1, x.data<T>(), in, weight.data<T>(),
                             in, 0, y.data<T>(), out);
      if (b) kernels::cuda::bias_add_rows(b, batch, out, y.data<T>(), ctx.stream);
    }
  });
  if (needs_grad(x, weight, bias)) record(y, std::make_shared<LinearBackward>(x, weight, bias));
  return y;
}

}  // namespace rethink::ops
