#include "runtime/ops/accuracy.h"

#include "kernels/accuracy.h"
#include "runtime/ops/op_checks.h"

namespace rethink::ops {

int64_t count_correct(const Tensor& logits, const Tensor& labels) {
  require_rank(logits, 2, "count_correct", "logits");
  require_rank(labels, 1, "count_correct", "labels");
  require_cpu(logits, "count_correct");
  check_same_device(logits, labels, "count_correct");
  RT_CHECK(labels.dtype() == DType::kInt32, "count_correct: labels must be int32, got {}",
           labels.describe());
  RT_CHECK(labels.size(0) == logits.size(0),
           "count_correct: logits {} and labels {} disagree on the batch size",
           logits.shape().to_string(), labels.shape().to_string());
  const int64_t rows = logits.size(0);
  Tensor correct = Tensor::empty(Shape{rows}, DType::kUInt8, logits.device());
  return dispatch_floating(logits.dtype(), "count_correct", [&]<class T>() {
    return kernels::cpu::count_top1_correct(logits.data<T>(), labels.data<int32_t>(), rows,
                                            logits.size(1), correct.data<uint8_t>());
  });
}

}  // namespace rethink::ops
