#include "runtime/ops/global_avg_pool.h"

#include "kernels/global_avg_pool.h"
#include "runtime/autograd.h"
#include "runtime/ops/op_checks.h"

namespace rethink::ops {
namespace {

class GlobalAvgPoolBackward final : public Node {
 public:
  explicit GlobalAvgPoolBackward(const Tensor& x) : Node({x}) {}
  std::string_view name() const override { return "global_avg_pool"; }

  std::vector<Tensor> backward(const Tensor& dy, const std::vector<Tensor>&) override {
    const Tensor& x = inputs()[0];
    Tensor dx = Tensor::empty(x.shape(), x.dtype(), x.device());
    dispatch_floating(x.dtype(), "global_avg_pool backward", [&]<class T>() {
      const int64_t pixels = x.size(1) * x.size(2);
      if (x.device().is_cpu()) {
        kernels::cpu::global_avg_pool_backward(dy.data<T>(), x.size(0), pixels, x.size(3),
                                               dx.data<T>());
      } else if constexpr (kBuiltWithCuda) {
        kernels::cuda::global_avg_pool_backward(dy.data<T>(), x.size(0), pixels, x.size(3),
                                                dx.data<T>(), stream_of(x));
      }
    });
    return {dx};
  }
};

}  // namespace

Tensor global_avg_pool(const Tensor& x) {
  RT_CHECK(x.rank() == 4,
           "global_avg_pool: input must be NHWC [batch, height, width, channels], got {}",
           x.describe());
  RT_CHECK(x.size(1) >= 1 && x.size(2) >= 1,
           "global_avg_pool: input {} has an empty {}x{} image, which has no mean", x.describe(),
           x.size(1), x.size(2));
  Tensor y = Tensor::empty(Shape{x.size(0), x.size(3)}, x.dtype(), x.device());
  dispatch_floating(x.dtype(), "global_avg_pool", [&]<class T>() {
    const int64_t pixels = x.size(1) * x.size(2);
    if (x.device().is_cpu()) {
      kernels::cpu::global_avg_pool_forward(x.data<T>(), x.size(0), pixels, x.size(3), y.data<T>());
    } else if constexpr (kBuiltWithCuda) {
      kernels::cuda::global_avg_pool_forward(x.data<T>(), x.size(0), pixels, x.size(3), y.data<T>(),
                                             stream_of(x));
    }
  });
  if (needs_grad(x)) record(y, std::make_shared<GlobalAvgPoolBackward>(x));
  return y;
}

}  // namespace rethink::ops
