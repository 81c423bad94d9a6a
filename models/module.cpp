#include "models/module.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <limits>
#include <unordered_map>

#include "runtime/autograd.h"

namespace rethink {
namespace {

// What summarize() collects while its forward runs; run_layer reports here when it is set.
struct SummaryRecorder {
  std::unordered_map<const Module*, std::pair<size_t, std::string>> where;  // order, name
  std::vector<std::pair<size_t, LayerSummary>> rows;
};

thread_local SummaryRecorder* t_recorder = nullptr;

}  // namespace

Module::~Module() {
  for (auto& [name, child] : children_) {
    if (child->parent_ == this) child->parent_ = nullptr;
  }
}

int64_t Module::macs(const Shape& input, const Shape& output) const {
  (void)input;
  (void)output;
  return 0;
}

std::string Module::path() const {
  if (parent_ == nullptr) return "";
  std::string above = parent_->path();
  return above.empty() ? name_ : above + "." + name_;
}

std::string Module::describe_layer() const {
  const std::string p = path();
  return p.empty() ? std::string(type_name()) : fmt::format("{} '{}'", type_name(), p);
}

void Module::set_training(bool training) {
  training_ = training;
  for (auto& [name, child] : children_) child->set_training(training);
}

void Module::set_step(int64_t step) {
  RT_CHECK(step >= 0, "set_step: the training step must be >= 0, got {}", step);
  step_ = step;
  for (auto& [name, child] : children_) child->set_step(step);
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

std::vector<NamedBuffer> Module::buffers() const {
  std::vector<NamedBuffer> out;
  collect_buffers("", out);
  return out;
}

void Module::load_buffers(const std::map<std::string, Tensor>& values) {
  std::vector<std::pair<std::string, Module*>> modules;
  walk("", modules);
  std::unordered_map<std::string, Module*> by_name;
  for (const auto& [name, module] : modules) by_name.emplace(name, module);

  std::vector<std::string> known;
  for (const NamedBuffer& b : buffers()) known.push_back(b.name);
  std::unordered_map<Module*, std::map<std::string, Tensor>> routed;
  for (const auto& [name, tensor] : values) {
    RT_CHECK(std::find(known.begin(), known.end(), name) != known.end(),
             "load_buffers: '{}' is not a buffer of this {} (its buffers: {})", name, type_name(),
             known.empty() ? std::string("none") : fmt::format("{}", fmt::join(known, ", ")));
    const size_t dot = name.rfind('.');
    const std::string owner = dot == std::string::npos ? "" : name.substr(0, dot);
    const std::string local = dot == std::string::npos ? name : name.substr(dot + 1);
    routed[by_name.at(owner)].emplace(local, tensor);
  }
  for (const auto& [name, module] : modules) {
    std::vector<NamedBuffer> own;
    module->own_buffers(own);
    if (own.empty()) continue;
    try {
      module->load_own_buffers(routed[module]);
    } catch (const Error& e) {
      const std::string where = name.empty() ? std::string(module->type_name())
                                             : fmt::format("{} '{}'", module->type_name(), name);
      throw Error(fmt::format("load_buffers: {}: {}", where, e.what()));
    }
  }
}

void Module::initialize(uint64_t seed) {
  Initializer init(seed);
  initialize_tree(init);
}

void Module::to(Device device) {
  for (const NamedParameter& p : parameters_) {
    p.tensor.set_grad(Tensor());
    p.tensor.set_data(p.tensor.to(device));
  }
  move_own_buffers(device);
  for (auto& [name, child] : children_) child->to(device);
}

void Module::to_dtype(DType dtype) {
  RT_CHECK(is_floating(dtype), "{}: to_dtype({}): models compute in float32 or float64",
           describe_layer(), dtype_name(dtype));
  std::vector<std::pair<std::string, Module*>> modules;
  walk("", modules);
  for (const auto& [name, module] : modules) {
    for (const NamedParameter& p : module->parameters_) p.tensor.retype_(dtype);
    module->convert_own_buffers(dtype);
  }
}

Tensor Module::add_parameter(std::string name, const Tensor& tensor, bool decay,
                             ExportLayout layout) {
  Tensor t = tensor;
  t.set_requires_grad(true);
  parameters_.push_back({std::move(name), t, decay, layout});
  return t;
}

void Module::attach(const std::string& name, Module& child) {
  RT_CHECK(!name.empty() && name.find('.') == std::string::npos,
           "{}: child name '{}' must be non-empty and without dots (dots join the names)",
           describe_layer(), name);
  for (const auto& [existing, module] : children_) {
    RT_CHECK(existing != name, "{}: already has a child named '{}'", describe_layer(), name);
  }
  child.parent_ = this;
  child.name_ = name;
}

void Module::rethrow_in_layer(const Error& e, const Tensor& x) const {
  const std::string message =
      fmt::format("{} on input {}: {}", describe_layer(),
                  x.defined() ? x.shape().to_string() : std::string("(undefined)"), e.what());
  if (dynamic_cast<const UserError*>(&e) != nullptr) throw UserError(message);
  throw Error(message);
}

void Module::after_layer(const Tensor& x, const Tensor& y) const {
  if (t_recorder == nullptr) return;
  const auto it = t_recorder->where.find(this);
  // A layer run from outside the summarized tree sorts last, under its own path.
  const size_t order =
      it == t_recorder->where.end() ? std::numeric_limits<size_t>::max() : it->second.first;
  LayerSummary row;
  row.name = it == t_recorder->where.end() ? path() : it->second.second;
  row.type = std::string(type_name());
  row.input_shape = x.shape();
  row.output_shape = y.shape();
  row.parameters = own_parameter_count();
  row.macs = macs(x.shape(), y.shape());
  row.module = const_cast<Module*>(this);  // summarize() was handed the model non-const
  t_recorder->rows.emplace_back(order, std::move(row));
}

int64_t Module::own_parameter_count() const {
  int64_t n = 0;
  for (const NamedParameter& p : parameters_) n += p.tensor.numel();
  return n;
}

void Module::collect(const std::string& prefix, std::vector<NamedParameter>& out) const {
  for (const NamedParameter& p : parameters_) {
    out.push_back({prefix + p.name, p.tensor, p.decay, p.layout});
  }
  for (const auto& [name, child] : children_) child->collect(prefix + name + ".", out);
}

void Module::collect_buffers(const std::string& prefix, std::vector<NamedBuffer>& out) const {
  std::vector<NamedBuffer> own;
  own_buffers(own);
  for (NamedBuffer& b : own) out.push_back({prefix + b.name, b.tensor, b.kind});
  for (const auto& [name, child] : children_) child->collect_buffers(prefix + name + ".", out);
}

void Module::walk(const std::string& name, std::vector<std::pair<std::string, Module*>>& out) {
  out.emplace_back(name, this);
  for (auto& [child_name, child] : children_) {
    child->walk(name.empty() ? child_name : name + "." + child_name, out);
  }
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

std::vector<LayerSummary> summarize(Module& model, const Shape& input, DType dtype) {
  RT_CHECK(t_recorder == nullptr, "summarize: a summary is already running on this thread");
  SummaryRecorder recorder;
  std::vector<std::pair<std::string, Module*>> modules;
  model.walk("", modules);
  for (size_t i = 0; i < modules.size(); ++i) {
    recorder.where.emplace(modules[i].second, std::make_pair(i, modules[i].first));
  }

  // Restores the mode and detaches the recorder however the forward ends.
  struct Scope {
    Module& model;
    bool was_training;
    ~Scope() {
      t_recorder = nullptr;
      model.set_training(was_training);
    }
  } scope{model, model.training()};
  model.set_training(false);
  t_recorder = &recorder;
  {
    NoGradGuard no_grad;
    model.forward(Tensor::zeros(input, dtype));
  }

  std::stable_sort(recorder.rows.begin(), recorder.rows.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<LayerSummary> rows;
  rows.reserve(recorder.rows.size());
  for (auto& [order, row] : recorder.rows) rows.push_back(std::move(row));
  return rows;
}

}  // namespace rethink
