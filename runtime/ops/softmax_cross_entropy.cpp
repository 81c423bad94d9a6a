#include "runtime/ops/softmax_cross_entropy.h"

#include "kernels/softmax_cross_entropy.h"
#include "runtime/autograd.h"
#include "runtime/ops/op_checks.h"

namespace rethink::ops {
namespace {

class SoftmaxCrossEntropyBackward final : public Node {
 public:
  SoftmaxCrossEntropyBackward(const Tensor& logits, const Tensor& labels, const Tensor& row_lse)
      : Node({logits}), labels_(labels), row_lse_(row_lse) {}
  std::string_view name() const override { return "softmax_cross_entropy"; }

  std::vector<Tensor> backward(const Tensor& dloss, const std::vector<Tensor>&) override {
    const Tensor& logits = inputs()[0];
    const int64_t rows = logits.size(0), classes = logits.size(1);
    Tensor dx = Tensor::empty(logits.shape(), logits.dtype(), logits.device());
    dispatch_floating(logits.dtype(), "softmax_cross_entropy backward", [&]<class T>() {
      if (logits.device().is_cpu()) {
        const T scale = rows > 0 ? dloss.item<T>() / static_cast<T>(rows) : T(0);
        kernels::cpu::softmax_cross_entropy_backward(logits.data<T>(), labels_.data<int32_t>(),
                                                     row_lse_.data<T>(), rows, classes, scale,
                                                     dx.data<T>());
      } else if constexpr (kBuiltWithCuda) {
        // The upstream gradient stays on the device: no synchronization in the step.
        kernels::cuda::softmax_cross_entropy_backward(
            logits.data<T>(), labels_.data<int32_t>(), row_lse_.data<T>(), rows, classes,
            dloss.data<T>(), dx.data<T>(), stream_of(logits));
      }
    });
    return {dx};
  }

 private:
  Tensor labels_;
  Tensor row_lse_;
};

void check_labels(const Tensor& labels, int64_t classes) {
  const int32_t* y = labels.data<int32_t>();
  for (int64_t i = 0; i < labels.numel(); ++i) {
    RT_CHECK(y[i] >= 0 && y[i] < classes,
             "softmax_cross_entropy: label {} at row {} is outside [0, {})", y[i], i, classes);
  }
}

}  // namespace

Tensor softmax_cross_entropy(const Tensor& logits, const Tensor& labels) {
  check_logits_and_labels(logits, labels, "softmax_cross_entropy");
  const int64_t rows = logits.size(0), classes = logits.size(1);
  RT_CHECK(classes > 0, "softmax_cross_entropy: logits {} have no classes", logits.describe());
  // On a GPU the kernel poisons a row with a bad label instead (kernels/softmax_cross_entropy.h):
  // reading the labels back would synchronize every step.
  if (labels.device().is_cpu()) check_labels(labels, classes);

  Tensor row_loss = Tensor::empty(Shape{rows}, logits.dtype(), logits.device());
  Tensor row_lse = Tensor::empty(Shape{rows}, logits.dtype(), logits.device());
  Tensor loss = Tensor::empty(Shape{}, logits.dtype(), logits.device());
  dispatch_floating(logits.dtype(), "softmax_cross_entropy", [&]<class T>() {
    if (logits.device().is_cpu()) {
      const double mean = kernels::cpu::softmax_cross_entropy_forward(
          logits.data<T>(), labels.data<int32_t>(), rows, classes, row_loss.data<T>(),
          row_lse.data<T>());
      *loss.data<T>() = static_cast<T>(mean);
    } else if constexpr (kBuiltWithCuda) {
      namespace k = kernels::cuda;
      const Tensor scratch =
          device_scratch(logits.device(), k::softmax_cross_entropy_workspace_bytes(rows));
      k::softmax_cross_entropy_forward(logits.data<T>(), labels.data<int32_t>(), rows, classes,
                                       row_loss.data<T>(), row_lse.data<T>(), loss.data<T>(),
                                       scratch.raw_data(), stream_of(logits));
    }
  });
  if (needs_grad(logits)) {
    record(loss, std::make_shared<SoftmaxCrossEntropyBackward>(logits, labels, row_lse));
  }
  return loss;
}

}  // namespace rethink::ops
