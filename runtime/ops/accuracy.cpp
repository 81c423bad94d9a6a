#include "runtime/ops/accuracy.h"

#include "kernels/accuracy.h"
#include "runtime/ops/op_checks.h"

namespace rethink::ops {
namespace {

void check_inputs(const Tensor& logits, const Tensor& labels) {
  check_logits_and_labels(logits, labels, "count_correct");
  RT_CHECK(logits.size(1) > 0, "count_correct: logits {} have no classes", logits.describe());
}

// The host count, without a tensor round trip (the trainer asks every step).
int64_t count_on_host(const Tensor& logits, const Tensor& labels) {
  const int64_t rows = logits.size(0);
  Tensor correct = Tensor::empty(Shape{rows}, DType::kUInt8, logits.device());
  return dispatch_floating(logits.dtype(), "count_correct", [&]<class T>() {
    return kernels::cpu::count_top1_correct(logits.data<T>(), labels.data<int32_t>(), rows,
                                            logits.size(1), correct.data<uint8_t>());
  });
}

}  // namespace

Tensor correct_count(const Tensor& logits, const Tensor& labels) {
  check_inputs(logits, labels);
  Tensor count = Tensor::empty(Shape{}, DType::kFloat64, logits.device());
  if (logits.device().is_cpu()) {
    *count.data<double>() = static_cast<double>(count_on_host(logits, labels));
    return count;
  }
  const int64_t rows = logits.size(0);
  Tensor correct = Tensor::empty(Shape{rows}, DType::kUInt8, logits.device());
  dispatch_floating(logits.dtype(), "count_correct", [&]<class T>() {
    if constexpr (kBuiltWithCuda) {
      namespace k = kernels::cuda;
      const Tensor scratch =
          device_scratch(logits.device(), k::count_top1_correct_workspace_bytes(rows));
      k::count_top1_correct(logits.data<T>(), labels.data<int32_t>(), rows, logits.size(1),
                            correct.data<uint8_t>(), count.data<double>(), scratch.raw_data(),
                            stream_of(logits));
    }
  });
  return count;
}

int64_t count_correct(const Tensor& logits, const Tensor& labels) {
  check_inputs(logits, labels);
  if (logits.device().is_cpu()) return count_on_host(logits, labels);
  return static_cast<int64_t>(correct_count(logits, labels).item<double>());
}

}  // namespace rethink::ops
