#include "experiments/evaluate.h"

#include "datasets/batch_loader.h"
#include "runtime/autograd.h"
#include "runtime/ops/accuracy.h"
#include "runtime/ops/softmax_cross_entropy.h"

namespace rethink {
namespace {

class EvalModeScope {
 public:
  explicit EvalModeScope(Module& m) : model_(m), was_training_(m.training()) {
    model_.set_training(false);
  }
  ~EvalModeScope() { model_.set_training(was_training_); }
  EvalModeScope(const EvalModeScope&) = delete;
  EvalModeScope& operator=(const EvalModeScope&) = delete;

 private:
  Module& model_;
  bool was_training_;
};

}  // namespace

EvalResult evaluate(Module& model, const Split& split, int64_t batch_size) {
  EvalResult r;
  if (split.size() == 0) return r;
  EvalModeScope eval_mode(model);
  NoGradGuard no_grad;
  BatchLoader loader(split, batch_size);
  loader.start();
  double loss_sum = 0;
  Batch batch;
  while (loader.next(batch)) {
    const Tensor logits = model.forward(batch.images);
    const int64_t rows = batch.labels.numel();
    const Tensor loss = ops::softmax_cross_entropy(logits, batch.labels);
    loss_sum += (logits.dtype() == DType::kFloat64 ? loss.item<double>() : loss.item<float>()) *
                static_cast<double>(rows);
    r.correct += ops::count_correct(logits, batch.labels);
    r.count += rows;
  }
  r.loss = loss_sum / static_cast<double>(r.count);
  r.accuracy = static_cast<double>(r.correct) / static_cast<double>(r.count);
  return r;
}

}  // namespace rethink
