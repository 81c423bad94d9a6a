#include "runtime/parameter_slab.h"

namespace rethink {

ParameterSlab::ParameterSlab(const std::vector<NamedParameter>& params) {
  RT_CHECK(!params.empty(), "a parameter slab needs at least one parameter");
  gather(params, params.front().tensor.device(), /*same_device=*/true);
}

ParameterSlab::ParameterSlab(const std::vector<NamedParameter>& params, Device device) {
  RT_CHECK(!params.empty(), "a parameter slab needs at least one parameter");
  gather(params, device, /*same_device=*/false);
}

void ParameterSlab::gather(const std::vector<NamedParameter>& params, Device device,
                           bool same_device) {
  const DType dtype = params.front().tensor.dtype();
  std::vector<const NamedParameter*> ordered;
  for (bool decay : {true, false}) {
    for (const NamedParameter& p : params) {
      if (p.decay != decay) continue;
      RT_CHECK(p.tensor.dtype() == dtype && (!same_device || p.tensor.device() == device),
               "parameter {} is {}, but the first parameter is {} on {}: one slab holds one "
               "dtype on one device",
               p.name, p.tensor.describe(), dtype_name(dtype), device.to_string());
      RT_CHECK(p.tensor.is_leaf(), "parameter {} was computed by an op; parameters are leaves",
               p.name);
      for (const NamedParameter* q : ordered) {
        const bool same_tensor =
            q->tensor.shares_memory_with(p.tensor) && q->tensor.raw_data() == p.tensor.raw_data();
        RT_CHECK(!same_tensor, "parameters {} and {} are the same tensor; list each parameter once",
                 q->name, p.name);
      }
      ordered.push_back(&p);
      if (decay) decayed_numel_ += p.tensor.numel();
    }
  }

  int64_t total = 0;
  for (const NamedParameter* p : ordered) total += p->tensor.numel();
  values_ = Tensor::empty(Shape{total}, dtype, device);
  grads_ = Tensor::zeros(Shape{total}, dtype, device);
  int64_t offset = 0;
  for (const NamedParameter* p : ordered) {
    const Tensor& t = p->tensor;
    Tensor value = values_.flat_view(offset, t.shape());
    value.copy_(t);
    t.set_data(value);  // every holder of this parameter now sees the slab
    t.set_grad(grads_.flat_view(offset, t.shape()));
    offset += t.numel();
  }
}

void ParameterSlab::zero_grad() {
  // fill_ runs in parallel with the same split as the SGD update that reads the gradients.
  if (grads_.defined()) grads_.fill_(0.0);
}

}  // namespace rethink
