// Reverse-mode autograd. Every differentiable op that sees an input requiring gradients
// records a Node on its output; backward() walks the recorded graph from the loss in reverse
// topological order, accumulating gradients into the leaves' grad() (adding to what is there:
// the optimizer zeroes them).
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "runtime/tensor.h"

namespace rethink {

class Node {
 public:
  // `inputs` are the op's differentiable inputs, in the order backward() answers for them
  // (an undefined tensor stands for an absent optional input, such as a missing bias).
  explicit Node(std::vector<Tensor> inputs) : inputs_(std::move(inputs)) {}
  virtual ~Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  virtual std::string_view name() const = 0;
  // The gradient for each input given the gradient of the output. `into[i]`, when defined, is
  // input i's gradient buffer (a leaf's grad(), e.g. a view into the parameter slab): a node
  // may add its gradient for input i straight into it, sparing a temporary and a pass over
  // memory, and return an undefined tensor for i. Whatever tensor it returns for an input
  // requiring gradients, the engine adds where it belongs; undefined means nothing to add.
  virtual std::vector<Tensor> backward(const Tensor& grad_output,
                                       const std::vector<Tensor>& into) = 0;

  const std::vector<Tensor>& inputs() const { return inputs_; }

 private:
  std::vector<Tensor> inputs_;
};

// Gradient recording is on by default; NoGradGuard turns it off in a scope (evaluation, and
// the backward pass itself).
bool grad_enabled();

class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// Whether an op with these inputs must record a node.
template <class... Tensors>
bool needs_grad(const Tensors&... inputs) {
  return grad_enabled() && (... || (inputs.defined() && inputs.requires_grad()));
}

// Makes `node` the producer of `output`.
inline void record(Tensor& output, std::shared_ptr<Node> node) {
  output.set_grad_fn(std::move(node));
}

// dst += src (same shape, dtype and device).
void accumulate(const Tensor& dst, const Tensor& src);

// What Tensor::backward runs.
void run_backward(const Tensor& root, const Tensor& seed);

}  // namespace rethink
