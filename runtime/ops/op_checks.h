// Argument checks shared by the differentiable ops.
#pragma once

#include <string_view>

#include "runtime/cuda_context.h"
#include "runtime/tensor.h"

namespace rethink::ops {

// For the host-only helpers (initializers draw on the host): names the op and the way out.
inline void require_cpu(const Tensor& t, std::string_view op) {
  RT_CHECK(t.device().is_cpu(), "{} runs on the host only ({}): move the tensor with .to(cpu)", op,
           t.describe());
}

// The stream an op on `t` runs on (t on a CUDA device).
inline kernels::Stream stream_of(const Tensor& t) { return cuda_stream(t.device()); }

// Device scratch memory for one op call: a block of the caching allocator, so free once warm.
// Released when the handle goes, while queued kernels may still use it: safe, because later
// work on the device is queued behind them (runtime/device_allocator.h).
inline Tensor device_scratch(Device device, int64_t bytes) {
  return Tensor::empty(Shape{bytes > 0 ? bytes : 1}, DType::kUInt8, device);
}

inline void require_rank(const Tensor& t, int64_t rank, std::string_view op,
                         std::string_view what) {
  RT_CHECK(t.rank() == rank, "{}: {} must have rank {}, got {}", op, what, rank, t.describe());
}

// Logits [batch, classes] and int32 labels [batch] on the same device.
inline void check_logits_and_labels(const Tensor& logits, const Tensor& labels,
                                    std::string_view op) {
  require_rank(logits, 2, op, "logits");
  require_rank(labels, 1, op, "labels");
  check_same_device(logits, labels, op);
  RT_CHECK(labels.dtype() == DType::kInt32, "{}: labels must be int32, got {}", op,
           labels.describe());
  RT_CHECK(labels.size(0) == logits.size(0),
           "{}: logits {} and labels {} disagree on the batch size", op, logits.shape().to_string(),
           labels.shape().to_string());
}

}  // namespace rethink::ops
