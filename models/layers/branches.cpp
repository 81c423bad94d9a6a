#include "models/layers/branches.h"

#include "runtime/ops/concat.h"

namespace rethink {

Branches& Branches::add(std::string name, std::shared_ptr<Module> branch) {
  RT_CHECK(branch != nullptr, "Branches::add('{}'): the branch is null", name);
  names_.push_back(name);
  branches_.push_back(add_module(std::move(name), std::move(branch)));
  return *this;
}

Tensor Branches::forward(const Tensor& x) {
  RT_CHECK(!branches_.empty(), "{}: has no branches; add() at least one", describe_layer());
  std::vector<Tensor> outputs;
  outputs.reserve(branches_.size());
  // Outside run_layer: a branch names itself in its own errors.
  for (auto& branch : branches_) outputs.push_back(branch->forward(x));
  return run_layer(x, [&] {
    for (size_t i = 1; i < outputs.size(); ++i) {
      const Shape& a = outputs[0].shape();
      const Shape& b = outputs[i].shape();
      bool same = a.rank() == b.rank();
      for (int64_t d = 0; same && d + 1 < a.rank(); ++d) same = a[d] == b[d];
      RT_CHECK(same,
               "branch '{}' gives {} but branch '{}' gives {}: concatenating channels needs "
               "equal batch and spatial sizes (same stride and padding in every branch)",
               names_[i], b.to_string(), names_[0], a.to_string());
    }
    return ops::concat_channels(outputs);
  });
}

}  // namespace rethink
