// Argument checks shared by the differentiable ops.
#pragma once

#include <string_view>

#include "runtime/tensor.h"

namespace rethink::ops {

// Until the CUDA backend lands, ops run on the CPU only; this names the op and the way out.
inline void require_cpu(const Tensor& t, std::string_view op) {
  RT_CHECK(t.device().is_cpu(), "{} has no CUDA kernel yet ({}): run with --device cpu", op,
           t.describe());
}

inline void require_rank(const Tensor& t, int64_t rank, std::string_view op,
                         std::string_view what) {
  RT_CHECK(t.rank() == rank, "{}: {} must have rank {}, got {}", op, what, rank, t.describe());
}

// Logits [batch, classes] on the CPU and int32 labels [batch] on the same device.
inline void check_logits_and_labels(const Tensor& logits, const Tensor& labels,
                                    std::string_view op) {
  require_rank(logits, 2, op, "logits");
  require_rank(labels, 1, op, "labels");
  require_cpu(logits, op);
  check_same_device(logits, labels, op);
  RT_CHECK(labels.dtype() == DType::kInt32, "{}: labels must be int32, got {}", op,
           labels.describe());
  RT_CHECK(labels.size(0) == logits.size(0),
           "{}: logits {} and labels {} disagree on the batch size", op, logits.shape().to_string(),
           labels.shape().to_string());
}

}  // namespace rethink::ops
