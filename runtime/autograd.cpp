#include "runtime/autograd.h"

#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "kernels/axpy.h"
#include "runtime/cuda_context.h"

namespace rethink {
namespace {

thread_local bool g_grad_enabled = true;

// Nodes reachable from `root`, each after every node that consumes its output.
std::vector<Node*> reverse_topological_order(Node* root) {
  std::vector<Node*> post_order;
  std::unordered_set<Node*> seen{root};
  std::vector<std::pair<Node*, size_t>> stack{{root, 0}};  // node, next input to visit
  while (!stack.empty()) {
    auto& [node, next] = stack.back();
    if (next < node->inputs().size()) {
      const Tensor& input = node->inputs()[next++];
      if (input.defined() && input.grad_fn() && seen.insert(input.grad_fn().get()).second) {
        stack.emplace_back(input.grad_fn().get(), 0);
      }
    } else {
      post_order.push_back(node);
      stack.pop_back();
    }
  }
  return {post_order.rbegin(), post_order.rend()};
}

// A gradient on its way to a node. `owned` says whether we may add into it in place: the
// first contribution may alias a tensor some node still holds.
struct PendingGrad {
  Tensor grad;
  bool owned = false;
};

void add_to_pending(PendingGrad& slot, const Tensor& g) {
  if (!slot.grad.defined()) {
    slot.grad = g;
    return;
  }
  if (!slot.owned) {
    slot.grad = slot.grad.clone();
    slot.owned = true;
  }
  accumulate(slot.grad, g);
}

void add_to_leaf(const Tensor& leaf, const Tensor& g) {
  if (leaf.grad().defined()) {
    accumulate(leaf.grad(), g);
  } else {
    leaf.set_grad(g.clone());
  }
}

}  // namespace

bool grad_enabled() { return g_grad_enabled; }

NoGradGuard::NoGradGuard() : previous_(g_grad_enabled) { g_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { g_grad_enabled = previous_; }

void accumulate(const Tensor& dst, const Tensor& src) {
  check_same_shape(dst, src, "gradient accumulation");
  check_same_device(dst, src, "gradient accumulation");
  dispatch_floating(dst.dtype(), "gradient accumulation", [&]<class T>() {
    if (dst.device().is_cpu()) {
      kernels::cpu::axpy(T(1), src.data<T>(), dst.data<T>(), dst.numel());
    } else if constexpr (kBuiltWithCuda) {
      kernels::cuda::axpy(T(1), src.data<T>(), dst.data<T>(), dst.numel(),
                          cuda_stream(dst.device()));
    }
  });
}

void run_backward(const Tensor& root, const Tensor& seed) {
  RT_CHECK(root.requires_grad(),
           "backward() on {}, which does not require gradients (no parameter took part, or it "
           "was computed under NoGradGuard)",
           root.describe());
  RT_CHECK(seed.defined() || root.numel() == 1,
           "backward() on {} needs a seed gradient: only one-element tensors imply 1",
           root.describe());
  const Tensor first =
      seed.defined() ? seed : Tensor::full(root.shape(), 1.0, root.dtype(), root.device());
  check_same_shape(root, first, "backward() seed");
  RT_CHECK(first.dtype() == root.dtype() && first.device() == root.device(),
           "backward() seed {} does not match {}", first.describe(), root.describe());
  NoGradGuard no_recording;
  if (root.is_leaf()) {
    add_to_leaf(root, first);
    return;
  }

  std::unordered_map<Node*, PendingGrad> pending;
  pending[root.grad_fn().get()].grad = first;
  for (Node* node : reverse_topological_order(root.grad_fn().get())) {
    auto it = pending.find(node);
    if (it == pending.end()) continue;  // no gradient reached this node
    const Tensor grad_output = std::move(it->second.grad);
    pending.erase(it);

    const std::vector<Tensor>& inputs = node->inputs();
    std::vector<Tensor> into(inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      const Tensor& input = inputs[i];
      if (input.defined() && input.requires_grad() && input.is_leaf()) into[i] = input.grad();
    }
    const std::vector<Tensor> grads = node->backward(grad_output, into);
    RT_CHECK(grads.size() == inputs.size(), "{} backward returned {} gradients for {} inputs",
             node->name(), grads.size(), inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      const Tensor& input = inputs[i];
      if (!input.defined() || !input.requires_grad() || !grads[i].defined()) continue;
      check_same_shape(input, grads[i], node->name());
      if (input.grad_fn()) {
        add_to_pending(pending[input.grad_fn().get()], grads[i]);
      } else {
        add_to_leaf(input, grads[i]);
      }
    }
  }
}

}  // namespace rethink
