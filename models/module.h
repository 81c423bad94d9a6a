// Module: a layer or a model. Owns its parameters under stable, PyTorch-style dotted names
// ("hidden.0.weight") and its child modules, and knows whether it is training.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "runtime/parameter_slab.h"
#include "runtime/random.h"
#include "runtime/tensor.h"

namespace rethink {

// Hands each parameter-owning module its own initialization stream, in a fixed order, so the
// initial weights depend only on the seed and the model's structure.
class Initializer {
 public:
  explicit Initializer(uint64_t seed) : seed_(seed) {}
  PhiloxStream next_stream() { return PhiloxStream::make(seed_, RngPurpose::kInit, 0, next_++); }

 private:
  uint64_t seed_;
  uint32_t next_ = 0;
};

class Module {
 public:
  virtual ~Module() = default;
  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  virtual Tensor forward(const Tensor& x) = 0;
  Tensor operator()(const Tensor& x) { return forward(x); }

  // Training or evaluation mode, for this module and every descendant.
  void set_training(bool training);
  bool training() const { return training_; }

  // Every parameter of this module and its descendants, in registration order.
  std::vector<NamedParameter> parameters() const;
  int64_t parameter_count() const;

  // (Re)initializes every parameter from `seed`.
  void initialize(uint64_t seed);

 protected:
  // Returns the registered tensor (a handle that stays valid when the slab moves its data).
  Tensor add_parameter(std::string name, const Tensor& tensor, bool decay);
  template <class M>
  std::shared_ptr<M> add_module(std::string name, std::shared_ptr<M> module) {
    children_.emplace_back(std::move(name), module);
    return module;
  }
  // Draws this module's own parameters (not its children's).
  virtual void init_parameters(Initializer& init) { (void)init; }

 private:
  void collect(const std::string& prefix, std::vector<NamedParameter>& out) const;
  void initialize_tree(Initializer& init);

  std::vector<NamedParameter> parameters_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

// Children run in order; parameters are named by position ("0.weight"), as in PyTorch.
class Sequential : public Module {
 public:
  Sequential& add(std::shared_ptr<Module> module);
  Tensor forward(const Tensor& x) override;
  size_t size() const { return layers_.size(); }

 private:
  std::vector<std::shared_ptr<Module>> layers_;
};

}  // namespace rethink
