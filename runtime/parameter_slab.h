// All of a model's parameters in one contiguous buffer, their gradients in a second, so that
// one fused kernel updates every tensor and zeroing the gradients is one memset.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/tensor.h"

namespace rethink {

// How a parameter's memory relates to PyTorch's layout of the same parameter, so that a weights
// file can hold PyTorch's layout (and a PyTorch model load it unchanged) whatever ours is.
enum class ExportLayout : uint8_t {
  kPyTorch,  // already PyTorch's: Linear (out, in), biases, batch-norm vectors
  // A conv filter held OHWI [out, kh, kw, in] (cuDNN's NHWC filters) where PyTorch's
  // Conv2d.weight is OIHW [out, in, kh, kw]: export with permute(0, 3, 1, 2), import with the
  // inverse permute(0, 2, 3, 1).
  kOhwi,
};

struct NamedParameter {
  std::string name;  // PyTorch-style dotted name: "hidden.0.weight"
  Tensor tensor;
  bool decay = true;  // weight decay applies (conv and linear weights; never biases)
  ExportLayout layout = ExportLayout::kPyTorch;
};

class ParameterSlab {
 public:
  ParameterSlab() = default;
  // Moves every parameter's values into one buffer (the ones to decay first, each group in
  // the given order) and points each parameter there; gives each a gradient that is a view
  // into a second, zeroed buffer. All parameters must share one dtype and device.
  explicit ParameterSlab(const std::vector<NamedParameter>& params);
  // The same on `device`: each parameter's values are copied there from wherever they are,
  // which is how a model's parameters move to a GPU (every holder of a parameter sees the
  // slab's memory afterwards). All parameters must share one dtype.
  ParameterSlab(const std::vector<NamedParameter>& params, Device device);

  const Tensor& values() const { return values_; }
  const Tensor& grads() const { return grads_; }
  int64_t numel() const { return values_.defined() ? values_.numel() : 0; }
  // Elements [0, decayed_numel()) of the slab are the parameters that get weight decay.
  int64_t decayed_numel() const { return decayed_numel_; }

  void zero_grad();

 private:
  void gather(const std::vector<NamedParameter>& params, Device device, bool same_device);

  Tensor values_;
  Tensor grads_;
  int64_t decayed_numel_ = 0;
};

}  // namespace rethink
