#include "runtime/ops/conv2d.h"

#include "kernels/bias.h"
#include "kernels/conv2d.h"
#include "kernels/cudnn/conv2d.h"
#include "runtime/autograd.h"
#include "runtime/compute_settings.h"
#include "runtime/ops/op_checks.h"
#include "runtime/workspace.h"

namespace rethink::ops {
namespace {

// The engine a convolution runs with: ours everywhere, cuDNN for float32 on a GPU when the
// run asks (the reference is for float32; float64, the numeric experiments' type, stays ours).
ConvEngine engine_for(const Tensor& x) {
  return x.device().is_cuda() && x.dtype() == DType::kFloat32 ? compute_settings().conv_engine
                                                              : ConvEngine::kOurs;
}

class Conv2dBackward final : public Node {
 public:
  Conv2dBackward(const Tensor& x, const Tensor& weight, const Tensor& bias,
                 const kernels::WindowedShape& shape, ConvEngine engine)
      : Node({x, weight, bias}), shape_(shape), engine_(engine) {}
  std::string_view name() const override { return "conv2d"; }

  std::vector<Tensor> backward(const Tensor& dy, const std::vector<Tensor>& into) override {
    const Tensor& x = inputs()[0];
    const Tensor& w = inputs()[1];
    const Tensor& b = inputs()[2];
    const bool want_dx = x.requires_grad();
    const bool want_dw = w.requires_grad();
    const bool want_db = b.defined() && b.requires_grad();
    // dw and db go straight into the gradient buffers when there are some (as linear does).
    const bool add_dw = want_dw && into[1].defined();
    const bool add_db = want_db && into[2].defined();
    Tensor dx, dw, db;
    if (want_dx) dx = Tensor::empty(x.shape(), x.dtype(), x.device());
    if (want_dw && !add_dw) dw = Tensor::empty(w.shape(), w.dtype(), w.device());
    if (want_db && !add_db) db = Tensor::empty(b.shape(), b.dtype(), b.device());
    const int64_t out_c = w.size(0);
    dispatch_floating(x.dtype(), "conv2d backward", [&]<class T>() {
      const auto ptr = [](const Tensor& t) { return t.defined() ? t.data<T>() : nullptr; };
      T* dw_out = add_dw ? into[1].data<T>() : ptr(dw);
      T* db_out = add_db ? into[2].data<T>() : ptr(db);
      if (x.device().is_cpu()) {
        const auto plan = kernels::Conv2dPlan::make(shape_, out_c, sizeof(T));
        T* workspace = cpu_workspace_as<T>(plan.backward_workspace_elements());
        kernels::cpu::conv2d_backward(plan, x.data<T>(), w.data<T>(), dy.data<T>(), ptr(dx), dw_out,
                                      add_dw, db_out, add_db, workspace);
      } else if constexpr (kBuiltWithCuda) {
        const Tensor reduce = device_scratch(
            x.device(), kernels::cuda::bias_grad_workspace_bytes(shape_.out_pixels(), out_c));
        if (engine_ == ConvEngine::kCudnn) {
          const kernels::cuda::Context ctx = cudnn_context(x.device());
          const int64_t bytes =
              kernels::cudnn::conv2d_workspace_bytes(ctx, shape_, out_c, sizeof(T));
          const Tensor workspace = device_scratch(x.device(), bytes);
          kernels::cudnn::conv2d_backward(ctx, shape_, out_c, x.data<T>(), w.data<T>(),
                                          dy.data<T>(), ptr(dx), dw_out, add_dw, db_out, add_db,
                                          workspace.raw_data(), bytes, reduce.raw_data());
        } else {
          const kernels::cuda::Context ctx = cuda_context(x.device());
          const auto plan = kernels::cuda::conv2d_plan(shape_, out_c, sizeof(T));
          const Tensor workspace = device_scratch(
              x.device(), kernels::cuda::conv2d_workspace_elements(plan) * int64_t{sizeof(T)});
          kernels::cuda::conv2d_backward(ctx, plan, x.data<T>(), w.data<T>(), dy.data<T>(), ptr(dx),
                                         dw_out, add_dw, db_out, add_db,
                                         static_cast<T*>(workspace.raw_data()), reduce.raw_data());
        }
      }
    });
    return {dx, dw, db};
  }

 private:
  kernels::WindowedShape shape_;
  ConvEngine engine_;
};

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
              const Conv2dOptions& options) {
  require_rank(x, 4, "conv2d", "input [N, H, W, Cin]");
  require_rank(weight, 4, "conv2d", "weight [Cout, KH, KW, Cin]");
  check_same_device(x, weight, "conv2d");
  RT_CHECK(x.dtype() == weight.dtype(), "conv2d: input {} and weight {} differ in dtype",
           x.describe(), weight.describe());
  const int64_t batch = x.size(0), in_h = x.size(1), in_w = x.size(2), in_c = x.size(3);
  const int64_t out_c = weight.size(0), kernel_h = weight.size(1), kernel_w = weight.size(2);
  RT_CHECK(weight.size(3) == in_c,
           "conv2d: input {} has {} channels (NHWC, channels last) but weight {} expects {} "
           "(OHWI: [Cout, KH, KW, Cin])",
           x.shape().to_string(), in_c, weight.shape().to_string(), weight.size(3));
  RT_CHECK(out_c > 0 && kernel_h > 0 && kernel_w > 0 && in_c > 0,
           "conv2d: weight {} and input {} must have no empty dimension but the batch",
           weight.shape().to_string(), x.shape().to_string());
  RT_CHECK(in_h > 0 && in_w > 0, "conv2d: input {} has an empty image", x.shape().to_string());
  RT_CHECK(options.stride >= 1, "conv2d: stride must be at least 1, got {}", options.stride);
  if (bias.defined()) {
    check_shape(bias, Shape{out_c}, "conv2d bias");
    RT_CHECK(bias.dtype() == x.dtype(), "conv2d: bias {} and input {} differ in dtype",
             bias.describe(), x.describe());
    check_same_device(x, bias, "conv2d");
  }
  auto window =
      kernels::Window2d::make(kernel_h, kernel_w, options.stride, options.padding, in_h, in_w);
  if (const auto& pad = options.explicit_padding) {
    RT_CHECK(pad->top >= 0 && pad->bottom >= 0 && pad->left >= 0 && pad->right >= 0,
             "conv2d: explicit padding (top {}, bottom {}, left {}, right {}) must be >= 0",
             pad->top, pad->bottom, pad->left, pad->right);
    window.pad = *pad;
  }
  const auto shape = kernels::WindowedShape::make(batch, in_h, in_w, in_c, window);
  RT_CHECK(shape.out_h > 0 && shape.out_w > 0,
           "conv2d: a {}x{} kernel does not fit the {}x{} input {} padded by (top {}, bottom {}, "
           "left {}, right {}): use SAME padding or a smaller kernel",
           kernel_h, kernel_w, in_h, in_w, x.shape().to_string(), window.pad.top, window.pad.bottom,
           window.pad.left, window.pad.right);

  Tensor y = Tensor::empty(Shape{batch, shape.out_h, shape.out_w, out_c}, x.dtype(), x.device());
  const ConvEngine engine = engine_for(x);
  dispatch_floating(x.dtype(), "conv2d", [&]<class T>() {
    const T* b = bias.defined() ? bias.data<T>() : nullptr;
    if (x.device().is_cpu()) {
      const auto plan = kernels::Conv2dPlan::make(shape, out_c, sizeof(T));
      T* workspace = cpu_workspace_as<T>(plan.forward_workspace_elements());
      kernels::cpu::conv2d_forward(plan, x.data<T>(), weight.data<T>(), b, y.data<T>(), workspace);
    } else if constexpr (kBuiltWithCuda) {
      if (engine == ConvEngine::kCudnn) {
        const kernels::cuda::Context ctx = cudnn_context(x.device());
        const int64_t bytes = kernels::cudnn::conv2d_workspace_bytes(ctx, shape, out_c, sizeof(T));
        const Tensor workspace = device_scratch(x.device(), bytes);
        kernels::cudnn::conv2d_forward(ctx, shape, out_c, x.data<T>(), weight.data<T>(), b,
                                       y.data<T>(), workspace.raw_data(), bytes);
      } else {
        const auto plan = kernels::cuda::conv2d_plan(shape, out_c, sizeof(T));
        const Tensor workspace = device_scratch(
            x.device(), kernels::cuda::conv2d_workspace_elements(plan) * int64_t{sizeof(T)});
        kernels::cuda::conv2d_forward(cuda_context(x.device()), plan, x.data<T>(), weight.data<T>(),
                                      b, y.data<T>(), static_cast<T*>(workspace.raw_data()));
      }
    }
  });
  if (needs_grad(x, weight, bias)) {
    record(y, std::make_shared<Conv2dBackward>(x, weight, bias, shape, engine));
  }
  return y;
}

}  // namespace rethink::ops
