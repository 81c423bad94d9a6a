#include "models/module.h"

namespace rethink {

void Module::set_training(bool training) {
  training_ = training;
  for (auto& [name, child] : children_) child->set_training(training);
}

std::vector<NamedParameter> Module::parameters() const {
  std::vector<NamedParameter> out;
  collect("", out);
  return out;
}

int64_t Module::parameter_count() const {
  int64_t n = 0;
  for (const NamedParameter& p : parameters()) n += p.tensor.numel();
  return n;
}

void Module::initialize(uint64_t seed) {
  Initializer init(seed);
  initialize_tree(init);
}

Tensor Module::add_parameter(std::string name, const Tensor& tensor, bool decay) {
  Tensor t = tensor;
  t.set_requires_grad(true);
  parameters_.push_back({std::move(name), t, decay});
  return t;
}

void Module::collect(const std::string& prefix, std::vector<NamedParameter>& out) const {
  for (const NamedParameter& p : parameters_) out.push_back({prefix + p.name, p.tensor, p.decay});
  for (const auto& [name, child] : children_) child->collect(prefix + name + ".", out);
}

void Module::initialize_tree(Initializer& init) {
  init_parameters(init);
  for (auto& [name, child] : children_) child->initialize_tree(init);
}

Sequential& Sequential::add(std::shared_ptr<Module> module) {
  layers_.push_back(add_module(std::to_string(layers_.size()), std::move(module)));
  return *this;
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor h = x;
  for (auto& layer : layers_) h = layer->forward(h);
  return h;
}

}  // namespace rethink
