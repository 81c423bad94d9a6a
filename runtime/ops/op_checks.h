// Argument checks shared by the differentiable ops.
#pragma once

#include <string_view>

#include "runtime/tensor.h"

namespace rethink::ops {

// Until the CUDA backend lands, ops run on the CPU only; this names the op and the way out.
inline void require_cpu(const Tensor& t, std::string_view op) {
  RT_CHECK(t.device().is_cpu(),
           "{} has no CUDA kernel yet ({}): run with --device cpu", op, t.describe());
}

inline void require_rank(const Tensor& t, int64_t rank, std::string_view op,
                         std::string_view what) {
  RT_CHECK(t.rank() == rank, "{}: {} must have rank {}, got {}", op, what, rank, t.describe());
}

}  // namespace rethink::ops
