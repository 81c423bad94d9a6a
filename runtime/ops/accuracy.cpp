#include "runtime/ops/accuracy.h"

#include "kernels/accuracy.h"
#include "runtime/ops/op_checks.h"

namespace rethink::ops {

int64_t count_correct(const Tensor& logits, const Tensor& labels) {
  check_logits_and_labels(logits, labels, "count_correct");
  const int64_t rows = logits.size(0);
  Tensor correct = Tensor::empty(Shape{rows}, DType::kUInt8, logits.device());
  return dispatch_floating(logits.dtype(), "count_correct", [&]<class T>() {
    return kernels::cpu::count_top1_correct(logits.data<T>(), labels.data<int32_t>(), rows,
                                            logits.size(1), correct.data<uint8_t>());
  });
}

}  // namespace rethink::ops
