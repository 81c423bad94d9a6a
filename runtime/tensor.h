// Tensor: a contiguous n-dimensional array of one DType on one Device, plus the autograd state
// (requires_grad, the accumulated gradient, the node that produced it).
//
// Copies of a Tensor share everything (like a shared_ptr); clone() copies the data.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/device.h"
#include "runtime/dtype.h"
#include "runtime/memory.h"
#include "runtime/shape.h"

namespace rethink {

class Node;
struct TensorImpl;

class Tensor {
 public:
  Tensor() = default;

  static Tensor empty(const Shape& shape, DType dtype = DType::kFloat32,
                      Device device = Device::cpu());
  static Tensor zeros(const Shape& shape, DType dtype = DType::kFloat32,
                      Device device = Device::cpu());
  static Tensor full(const Shape& shape, double value, DType dtype = DType::kFloat32,
                     Device device = Device::cpu());
  template <class T>
  static Tensor from_vector(const Shape& shape, const std::vector<T>& values,
                            Device device = Device::cpu());

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  int64_t rank() const { return shape().rank(); }
  int64_t size(int64_t dim) const { return shape()[dim]; }
  int64_t numel() const { return shape().numel(); }
  DType dtype() const;
  Device device() const;
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype()); }
  std::string describe() const;  // "float32[128, 10] on cpu"

  // Typed element pointer; throws if T is not this tensor's dtype.
  template <class T>
  T* data() const;
  void* raw_data() const;

  // Host copies of the elements, and the single element of a one-element tensor.
  template <class T>
  std::vector<T> to_vector() const;
  template <class T>
  T item() const;

  Tensor to(Device device) const;  // this tensor itself when already there
  Tensor clone() const;
  // A view of the same memory with another shape of equal size; it has no autograd history
  // (runtime/ops/flatten.h is the differentiable reshape).
  Tensor view(const Shape& shape) const;
  // A view of `shape.numel()` elements starting `offset` elements into this tensor's memory.
  Tensor flat_view(int64_t offset, const Shape& shape) const;
  // Same memory, no autograd history.
  Tensor detach() const;

  // In-place writes. Like every method here they act on the shared tensor, so they are const
  // on the handle (as in PyTorch's C++ API).
  const Tensor& fill_(double value) const;
  const Tensor& zero_() const;
  // Copies src's elements into this tensor (same shape and dtype; any devices).
  const Tensor& copy_(const Tensor& src) const;
  // Points this tensor (and every copy of it) at src's memory: same shape and dtype required.
  // The parameter slab uses it to gather parameters into one buffer.
  void set_data(const Tensor& src) const;
  // Re-types this tensor (and every copy of it) in place: new host memory holding its values
  // converted to `dtype`. For leaves without a gradient: Module::to_dtype makes a float64 copy
  // of a model, the reference its float32 self is checked against.
  void retype_(DType dtype) const;
  bool shares_memory_with(const Tensor& other) const;

  // Autograd.
  bool requires_grad() const;
  Tensor& set_requires_grad(bool on);  // leaves only
  bool is_leaf() const;
  const std::shared_ptr<Node>& grad_fn() const;
  void set_grad_fn(std::shared_ptr<Node> node);  // ops only
  const Tensor& grad() const;
  void set_grad(const Tensor& grad) const;  // Tensor is a handle: this sets it for every copy
  // Back-propagates from this one-element tensor (d self / d self = 1, or `seed`).
  void backward(const Tensor& seed = Tensor()) const;

 private:
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}
  TensorImpl& impl() const;
  void check_dtype(DType expected) const;

  std::shared_ptr<TensorImpl> impl_;
};

// Throws rethink::Error naming both shapes when `t` does not have `expected`'s shape.
void check_shape(const Tensor& t, const Shape& expected, std::string_view what);
void check_same_shape(const Tensor& a, const Tensor& b, std::string_view what);
void check_same_device(const Tensor& a, const Tensor& b, std::string_view what);

template <class T>
T* Tensor::data() const {
  check_dtype(dtype_of<T>());
  return static_cast<T*>(raw_data());
}

}  // namespace rethink
