#include "runtime/optim/sgd.h"

#include "kernels/sgd.h"
#include "runtime/ops/op_checks.h"

namespace rethink {

Sgd::Sgd(ParameterSlab& slab, const SgdOptions& options) : slab_(&slab), options_(options) {
  RT_CHECK(slab.numel() > 0, "SGD needs parameters to optimize");
  RT_CHECK(options.momentum >= 0 && options.weight_decay >= 0,
           "SGD: momentum {} and weight decay {} must be non-negative", options.momentum,
           options.weight_decay);
  momentum_ = Tensor::zeros(slab.values().shape(), slab.values().dtype(), slab.values().device());
}

void Sgd::step(double lr) {
  const Tensor& w = slab_->values();
  dispatch_floating(w.dtype(), "sgd", [&]<class T>() {
    const kernels::SgdParams<T> params{static_cast<T>(lr), static_cast<T>(options_.momentum),
                                       static_cast<T>(options_.weight_decay), options_.nesterov,
                                       slab_->decayed_numel()};
    if (w.device().is_cpu()) {
      kernels::cpu::sgd_momentum_step(w.data<T>(), slab_->grads().data<T>(), momentum_.data<T>(),
                                      w.numel(), params);
    } else if constexpr (kBuiltWithCuda) {
      // One launch updates every parameter of the slab.
      kernels::cuda::sgd_momentum_step(w.data<T>(), slab_->grads().data<T>(), momentum_.data<T>(),
                                       w.numel(), params, ops::stream_of(w));
    }
  });
}

}  // namespace rethink
