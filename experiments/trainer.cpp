#include "experiments/trainer.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>

#include "datasets/batch_loader.h"
#include "experiments/interrupt.h"
#include "runtime/ops/accuracy.h"
#include "runtime/ops/softmax_cross_entropy.h"

namespace rethink {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

std::string_view run_status_name(RunStatus status) {
  switch (status) {
    case RunStatus::kCompleted: return "completed";
    case RunStatus::kFit: return "fit";
    case RunStatus::kInterrupted: return "interrupted";
    case RunStatus::kDiverged: return "diverged";
  }
  return "?";
}

TrainResult train(Module& model, ParameterSlab& slab, const Dataset& data,
                  const TrainSettings& settings,
                  const std::function<void(const EpochRecord&)>& on_epoch) {
  RT_CHECK(data.train.size() > 0, "the training split is empty");
  Sgd sgd(slab, settings.sgd);
  BatchLoader loader(data.train, settings.batch_size,
                     {.augment = settings.augment, .seed = settings.seed});
  TrainResult result;
  const Clock::time_point start = Clock::now();
  double step_seconds = 0;  // time in training steps, for images/s

  for (int64_t epoch = 1; epoch <= settings.epochs; ++epoch) {
    model.set_training(true);
    loader.start_epoch(epoch - 1);
    double loss_sum = 0, lr = 0;
    int64_t correct = 0, seen = 0;
    const Clock::time_point epoch_start = Clock::now();
    Batch batch;
    while (loader.next(batch)) {
      lr = settings.schedule.lr_at(result.images_seen);
      const Tensor logits = model.forward(batch.images);
      const Tensor loss = ops::softmax_cross_entropy(logits, batch.labels);
      const double loss_value = loss.item<float>();
      if (!std::isfinite(loss_value)) {
        result.status = RunStatus::kDiverged;
        result.message = fmt::format(
            "the loss became {} at step {} (epoch {}, lr {:.4g}): lower --lr, or check the data",
            loss_value, result.steps + 1, epoch, lr);
        break;
      }
      sgd.zero_grad();
      loss.backward();
      sgd.step(lr);

      const int64_t rows = batch.labels.numel();
      loss_sum += loss_value * static_cast<double>(rows);
      correct += ops::count_correct(logits, batch.labels);
      seen += rows;
      result.images_seen += rows;
      ++result.steps;
      if (InterruptScope::requested()) break;
    }
    step_seconds += seconds_since(epoch_start);
    if (result.status == RunStatus::kDiverged) break;
    if (InterruptScope::requested()) {
      result.status = RunStatus::kInterrupted;
      result.message = fmt::format("interrupted during epoch {} after step {}", epoch,
                                   result.steps);
      break;
    }

    EpochRecord rec;
    rec.epoch = epoch;
    rec.step = result.steps;
    rec.images_seen = result.images_seen;
    rec.lr = lr;
    rec.train_loss = loss_sum / static_cast<double>(seen);
    rec.train_accuracy = static_cast<double>(correct) / static_cast<double>(seen);
    rec.full_train = evaluate(model, data.train, settings.eval_batch_size);
    rec.test = evaluate(model, data.test, settings.eval_batch_size);
    rec.seconds = seconds_since(start);
    rec.images_per_second = static_cast<double>(result.images_seen) / step_seconds;
    result.epochs_completed = epoch;
    result.last = rec;
    if (!result.fit && rec.full_train.accuracy >= settings.fit_threshold) {
      result.fit = true;
      result.fit_epoch = epoch;
      result.fit_step = result.steps;
      result.fit_seconds = rec.seconds;
    }
    on_epoch(rec);
    if (settings.until_fit && result.fit) {
      result.status = RunStatus::kFit;
      result.message = fmt::format("fit the training set ({:.2f}% >= {:.2f}%) after epoch {}",
                                   100 * rec.full_train.accuracy, 100 * settings.fit_threshold,
                                   epoch);
      break;
    }
  }
  if (result.status == RunStatus::kCompleted) {
    result.message = fmt::format("completed {} epochs", result.epochs_completed);
  }
  result.seconds = seconds_since(start);
  return result;
}

}  // namespace rethink
