#include "runtime/tensor.h"

#include <fmt/format.h>

#include "kernels/fill.h"
#include "runtime/autograd.h"
#include "runtime/cuda_context.h"

namespace rethink {

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  size_t offset = 0;  // bytes into storage
  Shape shape;
  DType dtype = DType::kFloat32;
  bool requires_grad = false;
  Tensor grad;
  std::shared_ptr<Node> grad_fn;
};

namespace {

template <class Fn>
decltype(auto) dispatch_any(DType t, Fn&& fn) {
  switch (t) {
    case DType::kFloat32:
      return fn.template operator()<float>();
    case DType::kFloat64:
      return fn.template operator()<double>();
    case DType::kInt32:
      return fn.template operator()<int32_t>();
    case DType::kUInt8:
      return fn.template operator()<uint8_t>();
  }
  RT_FAIL("unknown dtype");
}

}  // namespace

TensorImpl& Tensor::impl() const {
  RT_CHECK(impl_ != nullptr, "use of an undefined tensor");
  return *impl_;
}

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage =
      std::make_shared<Storage>(device, static_cast<size_t>(shape.numel()) * dtype_size(dtype));
  impl->shape = shape;
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  t.zero_();
  return t;
}

Tensor Tensor::full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  t.fill_(value);
  return t;
}

template <class T>
Tensor Tensor::from_vector(const Shape& shape, const std::vector<T>& values, Device device) {
  RT_CHECK(static_cast<int64_t>(values.size()) == shape.numel(),
           "from_vector: {} values do not fill shape {}", values.size(), shape.to_string());
  Tensor t = empty(shape, dtype_of<T>(), device);
  copy_bytes(device, t.raw_data(), Device::cpu(), values.data(), t.nbytes());
  return t;
}

const Shape& Tensor::shape() const { return impl().shape; }
DType Tensor::dtype() const { return impl().dtype; }
Device Tensor::device() const { return impl().storage->device(); }

std::string Tensor::describe() const {
  if (!defined()) return "undefined tensor";
  return fmt::format("{}{} on {}", dtype_name(dtype()), shape().to_string(), device().to_string());
}

void* Tensor::raw_data() const {
  const TensorImpl& i = impl();
  return static_cast<char*>(i.storage->data()) + i.offset;
}

void Tensor::check_dtype(DType expected) const {
  RT_CHECK(dtype() == expected, "tensor {} accessed as {}", describe(), dtype_name(expected));
}

template <class T>
std::vector<T> Tensor::to_vector() const {
  check_dtype(dtype_of<T>());
  std::vector<T> out(static_cast<size_t>(numel()));
  copy_bytes(Device::cpu(), out.data(), device(), raw_data(), nbytes());
  return out;
}

template <class T>
T Tensor::item() const {
  RT_CHECK(numel() == 1, "item() needs a one-element tensor, got {}", describe());
  return to_vector<T>()[0];
}

Tensor Tensor::to(Device device) const {
  if (device == this->device()) return *this;
  Tensor out = empty(shape(), dtype(), device);
  copy_bytes(device, out.raw_data(), this->device(), raw_data(), nbytes());
  return out;
}

Tensor Tensor::clone() const {
  Tensor out = empty(shape(), dtype(), device());
  copy_bytes(device(), out.raw_data(), device(), raw_data(), nbytes());
  return out;
}

Tensor Tensor::view(const Shape& shape) const {
  RT_CHECK(shape.numel() == numel(), "cannot view {} as shape {}: {} elements vs {}", describe(),
           shape.to_string(), numel(), shape.numel());
  return flat_view(0, shape);
}

Tensor Tensor::flat_view(int64_t offset, const Shape& shape) const {
  RT_CHECK(offset >= 0 && offset + shape.numel() <= numel(),
           "flat_view of {} elements at offset {} is outside {}", shape.numel(), offset,
           describe());
  auto v = std::make_shared<TensorImpl>();
  v->storage = impl().storage;
  v->offset = impl().offset + static_cast<size_t>(offset) * dtype_size(dtype());
  v->shape = shape;
  v->dtype = dtype();
  return Tensor(std::move(v));
}

Tensor Tensor::detach() const { return flat_view(0, shape()); }

const Tensor& Tensor::fill_(double value) const {
  dispatch_any(dtype(), [&]<class T>() {
    if (device().is_cpu()) {
      kernels::cpu::fill(static_cast<T>(value), data<T>(), numel());
    } else if constexpr (kBuiltWithCuda) {
      kernels::cuda::fill(static_cast<T>(value), data<T>(), numel(), cuda_stream(device()));
    }
  });
  return *this;
}

const Tensor& Tensor::zero_() const {
  zero_bytes(device(), raw_data(), nbytes());
  return *this;
}

const Tensor& Tensor::copy_(const Tensor& src) const {
  check_same_shape(*this, src, "copy_");
  RT_CHECK(dtype() == src.dtype(), "copy_: dtype {} into {}", dtype_name(src.dtype()),
           dtype_name(dtype()));
  copy_bytes(device(), raw_data(), src.device(), src.raw_data(), nbytes());
  return *this;
}

void Tensor::set_data(const Tensor& src) const {
  check_same_shape(*this, src, "set_data");
  RT_CHECK(dtype() == src.dtype(), "set_data: dtype {} for a {} tensor", dtype_name(src.dtype()),
           dtype_name(dtype()));
  impl().storage = src.impl().storage;
  impl().offset = src.impl().offset;
}

void Tensor::retype_(DType dtype) const {
  if (dtype == this->dtype()) return;
  RT_CHECK(device().is_cpu(), "retype_: {} must be on the host", describe());
  RT_CHECK(is_leaf() && !grad().defined(), "retype_: {} must be a leaf without a gradient",
           describe());
  const Tensor out = empty(shape(), dtype);
  dispatch_any(this->dtype(), [&]<class From>() {
    dispatch_any(dtype, [&]<class To>() {
      const From* in = static_cast<const From*>(raw_data());
      To* dst = static_cast<To*>(out.raw_data());
      for (int64_t i = 0; i < numel(); ++i) dst[i] = static_cast<To>(in[i]);
    });
  });
  impl().storage = out.impl().storage;
  impl().offset = 0;
  impl().dtype = dtype;
}

bool Tensor::shares_memory_with(const Tensor& other) const {
  return defined() && other.defined() && impl().storage == other.impl().storage;
}

bool Tensor::requires_grad() const { return impl().requires_grad; }

Tensor& Tensor::set_requires_grad(bool on) {
  RT_CHECK(is_leaf(), "set_requires_grad on {}, which an op produced: only leaves can", describe());
  RT_CHECK(!on || is_floating(dtype()), "a {} tensor cannot require gradients",
           dtype_name(dtype()));
  impl().requires_grad = on;
  return *this;
}

bool Tensor::is_leaf() const { return impl().grad_fn == nullptr; }
const std::shared_ptr<Node>& Tensor::grad_fn() const { return impl().grad_fn; }

void Tensor::set_grad_fn(std::shared_ptr<Node> node) {
  impl().grad_fn = std::move(node);
  impl().requires_grad = impl().grad_fn != nullptr;
}

const Tensor& Tensor::grad() const { return impl().grad; }

void Tensor::set_grad(const Tensor& grad) const {
  if (grad.defined()) {
    check_same_shape(*this, grad, "set_grad");
    RT_CHECK(grad.dtype() == dtype() && grad.device() == device(),
             "set_grad: gradient {} for tensor {}", grad.describe(), describe());
  }
  impl().grad = grad;
}

void Tensor::backward(const Tensor& seed) const { run_backward(*this, seed); }

void check_shape(const Tensor& t, const Shape& expected, std::string_view what) {
  RT_CHECK(t.shape() == expected, "{}: expected shape {}, got {}", what, expected.to_string(),
           t.shape().to_string());
}

void check_same_shape(const Tensor& a, const Tensor& b, std::string_view what) {
  RT_CHECK(a.shape() == b.shape(), "{}: shapes {} and {} differ", what, a.shape().to_string(),
           b.shape().to_string());
}

void check_same_device(const Tensor& a, const Tensor& b, std::string_view what) {
  RT_CHECK(a.device() == b.device(), "{}: tensors on {} and {}", what, a.device().to_string(),
           b.device().to_string());
}

#define RETHINK_INSTANTIATE(T)                                                         \
  template Tensor Tensor::from_vector<T>(const Shape&, const std::vector<T>&, Device); \
  template std::vector<T> Tensor::to_vector<T>() const;                                \
  template T Tensor::item<T>() const;
RETHINK_INSTANTIATE(float)
RETHINK_INSTANTIATE(double)
RETHINK_INSTANTIATE(int32_t)
RETHINK_INSTANTIATE(uint8_t)
#undef RETHINK_INSTANTIATE

}  // namespace rethink
