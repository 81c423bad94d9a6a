// Module: a layer or a model. Owns its parameters and buffers under stable, PyTorch-style dotted
// names ("hidden.0.weight", "features.1.bn.running_mean") and its child modules, and knows
// whether it is training and at which step.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/parameter_slab.h"
#include "runtime/random.h"
#include "runtime/tensor.h"

namespace rethink {

// Hands each parameter-owning module its own initialization stream, in a fixed order, so the
// initial weights depend only on the seed and the model's structure. Layers that draw during
// training (dropout) take the seed and a layer id from it on the same walk.
class Initializer {
 public:
  explicit Initializer(uint64_t seed) : seed_(seed) {}
  PhiloxStream next_stream() { return PhiloxStream::make(seed_, RngPurpose::kInit, 0, next_++); }

  uint64_t seed() const { return seed_; }
  // 0, 1, 2, ... to the layers that ask, in structure order. Counted apart from the streams, so
  // adding a dropout layer does not change any other layer's initial weights.
  uint32_t next_layer_id() { return next_layer_++; }

 private:
  uint64_t seed_;
  uint32_t next_ = 0;
  uint32_t next_layer_ = 0;
};

// What a buffer (persistent state that is not trained) is saved for.
enum class BufferKind : uint8_t {
  // The weights file, under PyTorch's name (BatchNorm2d's running_mean, running_var,
  // num_batches_tracked): all that eval mode needs, and what a PyTorch model loads.
  kExported,
  // Checkpoints only: raw state from which a resumed run continues bit for bit.
  kResume,
};

struct NamedBuffer {
  std::string name;  // dotted, like parameters: "features.0.bn.running_mean"
  Tensor tensor;
  BufferKind kind = BufferKind::kExported;
};

class Module;

// One row of a model summary: a layer that ran, what it produced and what it cost.
struct LayerSummary {
  std::string name;  // dotted path from the summarized model; empty for the model itself
  std::string type;  // "Conv2d"
  Shape input_shape;
  Shape output_shape;
  int64_t parameters = 0;  // the layer's own (a container's rows count none of its children's)
  int64_t macs = 0;        // multiply-adds for the summarized batch
  // The layer itself, valid while the model lives: bench/kernels/ops_bench.cpp runs each one
  // alone at its shape.
  Module* module = nullptr;
};

class Module {
 public:
  virtual ~Module();
  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  virtual Tensor forward(const Tensor& x) = 0;
  Tensor operator()(const Tensor& x) { return forward(x); }

  // The type that summaries and error messages show ("Conv2d").
  virtual std::string_view type_name() const { return "Module"; }
  // Multiply-adds of one forward from `input` to `output`: conv and linear layers count theirs,
  // the rest (normalization, pooling, activations) count none, as the paper's totals do.
  virtual int64_t macs(const Shape& input, const Shape& output) const;

  // The dotted name under which the root this module hangs from holds it
  // ("features.3.branch3x3.conv"); empty for a root. A module added to two parents answers
  // for the last.
  std::string path() const;

  // Training or evaluation mode, for this module and every descendant.
  void set_training(bool training);
  bool training() const { return training_; }

  // The training step, for this module and every descendant: layers whose draws follow it
  // (dropout masks) read it. The trainer sets it before each training forward.
  void set_step(int64_t step);
  int64_t step() const { return step_; }

  // Every parameter of this module and its descendants, in registration order.
  std::vector<NamedParameter> parameters() const;
  int64_t parameter_count() const;

  // Every buffer of this module and its descendants, in structure order. Tensors that are
  // state (running statistics) are the live ones; scalars (counts) are fresh copies.
  std::vector<NamedBuffer> buffers() const;
  // Puts buffers back by their dotted names, as buffers() names them. Every name must be one
  // of this model's buffers; each module that owns buffers receives its own at once and
  // decides what suffices (BatchNorm2d: running_mean and running_var alone restore eval mode
  // exactly; the kResume ones restore the exact training state). Throws naming the module.
  void load_buffers(const std::map<std::string, Tensor>& values);

  // (Re)initializes every parameter and buffer from `seed`.
  void initialize(uint64_t seed);

  // Moves every parameter and buffer of this module and its descendants to `device`. The
  // tensors keep their identity (every handle follows); parameter gradients are dropped.
  // Initialize first (the draws run on the host), then move, then gather the parameters into a
  // ParameterSlab (it takes their device) -- or hand them to ParameterSlab(params, device),
  // which moves the parameters itself.
  void to(Device device);

  // Converts every parameter and buffer of this module and its descendants to `dtype` (float32
  // or float64) in place, values kept: the model then takes and returns that dtype. The CPU
  // kernels are instantiated for both, so a float64 copy of a model is the reference that its
  // float32 self is checked against (tests/models/zoo_pytorch_test.cpp). Call it before a
  // ParameterSlab takes the parameters and before any backward.
  void to_dtype(DType dtype);

 protected:
  // Returns the registered tensor (a handle that stays valid when the slab moves its data).
  Tensor add_parameter(std::string name, const Tensor& tensor, bool decay,
                       ExportLayout layout = ExportLayout::kPyTorch);
  template <class M>
  std::shared_ptr<M> add_module(std::string name, std::shared_ptr<M> module) {
    attach(name, *module);
    children_.emplace_back(std::move(name), module);
    return module;
  }
  // Draws this module's own parameters (not its children's) and resets its own buffers.
  virtual void init_parameters(Initializer& init) { (void)init; }

  // This module's own buffers under local names ("running_mean").
  virtual void own_buffers(std::vector<NamedBuffer>& out) const { (void)out; }
  // Loads this module's own buffers; `values` (local names) holds only names own_buffers
  // lists, possibly none of them. Called once per load for every module that has buffers.
  virtual void load_own_buffers(const std::map<std::string, Tensor>& values) { (void)values; }
  // Moves this module's own buffers (the state own_buffers lists) to `device`.
  virtual void move_own_buffers(Device device) { (void)device; }


  // Converts this module's own buffers to `dtype` (its parameters are converted for it).
  virtual void convert_own_buffers(DType dtype) { (void)dtype; }

  // Runs a layer's computation on input x: an error it throws is rethrown naming this layer
  // (type and dotted path) and x's shape, and a running summarize() records the output.
  template <class F>
  Tensor run_layer(const Tensor& x, F&& compute) {
    Tensor y;
    try {
      y = compute();
    } catch (const Error& e) {
      rethrow_in_layer(e, x);
    }
    after_layer(x, y);
    return y;
  }

  // "Conv2d 'features.0.conv'", or "Conv2d" for a root.
  std::string describe_layer() const;

 private:
  friend std::vector<LayerSummary> summarize(Module& model, const Shape& input, DType dtype);

  void attach(const std::string& name, Module& child);
  [[noreturn]] void rethrow_in_layer(const Error& e, const Tensor& x) const;
  void after_layer(const Tensor& x, const Tensor& y) const;
  int64_t own_parameter_count() const;
  void collect(const std::string& prefix, std::vector<NamedParameter>& out) const;
  void collect_buffers(const std::string& prefix, std::vector<NamedBuffer>& out) const;
  // This module and its descendants in structure order, named relative to this one.
  void walk(const std::string& name, std::vector<std::pair<std::string, Module*>>& out);
  void initialize_tree(Initializer& init);

  std::vector<NamedParameter> parameters_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  // Where this module hangs, for error messages; cleared when the parent goes away first.
  Module* parent_ = nullptr;
  std::string name_;
  bool training_ = true;
  int64_t step_ = 0;
};

// Children run in order; parameters are named by position ("0.weight"), as in PyTorch.
class Sequential : public Module {
 public:
  Sequential& add(std::shared_ptr<Module> module);
  Tensor forward(const Tensor& x) override;
  std::string_view type_name() const override { return "Sequential"; }
  size_t size() const { return layers_.size(); }
  Module& operator[](size_t i) const { return *layers_.at(i); }

 private:
  std::vector<std::shared_ptr<Module>> layers_;
};

// Runs `model` once on a zero batch of shape `input` (e.g. [1, 28, 28, 3]) in eval mode
// without gradients (no running statistic moves, dropout is the identity), and lists every
// layer that ran (the modules whose forward goes through run_layer: every layer in
// models/layers, not plain containers like Sequential) in structure order. The model's
// training mode is restored afterwards (for the whole tree, to the root's mode).
std::vector<LayerSummary> summarize(Module& model, const Shape& input,
                                    DType dtype = DType::kFloat32);

}  // namespace rethink
