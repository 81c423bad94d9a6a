#include "experiments/trainer.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "datasets/batch_loader.h"
#include "experiments/grad_norm.h"
#include "experiments/interrupt.h"
#include "kernels/check.h"
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
    case RunStatus::kCompleted:
      return "completed";
    case RunStatus::kFit:
      return "fit";
    case RunStatus::kInterrupted:
      return "interrupted";
    case RunStatus::kDiverged:
      return "diverged";
  }
  return "?";
}

Trainer::Trainer(Module& model, ParameterSlab& slab, const Dataset& data,
                 const TrainSettings& settings)
    : model_(model), slab_(slab), data_(data), settings_(settings), sgd_(slab, settings.sgd) {
  RT_CHECK(data.train.size() > 0, "the training split is empty");
  RT_CHECK(settings.eval_every > 0, "eval_every must be positive, got {}", settings.eval_every);
}

int64_t Trainer::steps_per_epoch() const {
  return (data_.train.size() + settings_.batch_size - 1) / settings_.batch_size;
}

bool Trainer::finished() const {
  return state_.epoch >= settings_.epochs || (settings_.until_fit && state_.fit);
}

void Trainer::evaluate_now(const TrainHooks& hooks, double session_seconds) {
  TrainState& s = state_;
  EpochRecord rec;
  rec.epoch = s.epoch;
  rec.step = s.step;
  rec.images_seen = s.images_seen;
  rec.lr = s.lr;
  const double seen = static_cast<double>(std::max<int64_t>(s.seen, 1));
  rec.train_loss = s.loss_sum / seen;
  rec.train_accuracy = static_cast<double>(s.correct) / seen;
  rec.grad_norm = s.grad_norm_sum / static_cast<double>(std::max<int64_t>(s.grad_norm_steps, 1));
  rec.full_train = evaluate(model_, data_.train, settings_.eval_batch_size);
  rec.test = evaluate(model_, data_.test, settings_.eval_batch_size);
  s.best_test_accuracy = std::max(s.best_test_accuracy, rec.test.accuracy);
  rec.best_test_accuracy = s.best_test_accuracy;
  s.seconds = session_seconds;
  rec.seconds = s.seconds;
  rec.images_per_second =
      s.step_seconds > 0 ? static_cast<double>(s.images_seen) / s.step_seconds : 0;
  s.loss_sum = 0;
  s.correct = 0;
  s.seen = 0;
  s.grad_norm_sum = 0;
  s.grad_norm_steps = 0;
  if (!s.fit && rec.full_train.accuracy >= settings_.fit_threshold) {
    s.fit = true;
    s.fit_epoch = s.epoch;
    s.fit_step = s.step;
    s.fit_seconds = s.seconds;
    s.fit_step_seconds = s.step_seconds;
  }
  s.evaluated = true;
  s.last = rec;
  if (hooks.on_evaluation) hooks.on_evaluation(rec);
}

TrainResult Trainer::run(const TrainHooks& hooks) {
  TrainState& s = state_;
  TrainResult result;
  BatchLoader loader(
      data_.train, settings_.batch_size,
      {.augment = settings_.augment, .seed = settings_.seed, .device = settings_.device});
  const Clock::time_point start = Clock::now();
  const double seconds_before = s.seconds;
  const auto now_seconds = [&] { return seconds_before + seconds_since(start); };
  PhaseClock phases(settings_.profile, settings_.device, profile_);

  while (!finished()) {
    model_.set_training(true);
    loader.start_epoch(s.epoch);
    // A resume inside an epoch: the order is the epoch's, so skip the batches already trained.
    Batch batch;
    RT_CHECK(s.step_in_epoch <= steps_per_epoch(),
             "cannot resume at step {} of an epoch of {} steps", s.step_in_epoch,
             steps_per_epoch());
    loader.skip(s.step_in_epoch);
    const Clock::time_point epoch_start = Clock::now();
    double counted = 0;  // step seconds of this epoch already added to the state
    bool stop = false;
    phases.restart();
    while (loader.next(batch)) {
      phases.lap(TrainPhase::kData);
      const double lr = settings_.schedule.lr_at(s.images_seen);
      model_.set_training(true);
      model_.set_step(s.step);
      const Tensor logits = model_.forward(batch.images);
      const Tensor loss = ops::softmax_cross_entropy(logits, batch.labels);
      const double loss_value = loss.item<float>();
      phases.lap(TrainPhase::kForward);
      double norm = 0;
      if (std::isfinite(loss_value)) {
        sgd_.zero_grad();
        loss.backward();
        norm = l2_norm(slab_.grads());
      }
      phases.lap(TrainPhase::kBackward);
      if (!std::isfinite(loss_value) || !std::isfinite(norm)) {
        result.status = RunStatus::kDiverged;
        result.message = fmt::format(
            "the {} became {} at step {} (epoch {}, lr {:.4g}): lower --lr (or raise --batch), "
            "or check the data",
            std::isfinite(loss_value) ? "gradient norm" : "loss",
            std::isfinite(loss_value) ? norm : loss_value, s.step + 1, s.epoch + 1, lr);
        stop = true;
        break;
      }
      sgd_.step(lr);

      const int64_t rows = batch.labels.numel();
      s.lr = lr;
      s.loss_sum += loss_value * static_cast<double>(rows);
      s.correct += ops::count_correct(logits, batch.labels);
      s.seen += rows;
      s.grad_norm_sum += norm;
      ++s.grad_norm_steps;
      s.images_seen += rows;
      ++s.step;
      ++s.step_in_epoch;
      ++result.steps_run;
      phases.lap(TrainPhase::kUpdate);
      if (phases.on()) ++profile_.steps;
      const double in_epoch = seconds_since(epoch_start);
      s.step_seconds += in_epoch - counted;
      counted = in_epoch;
      s.seconds = now_seconds();
      if (hooks.on_step) hooks.on_step(s, steps_per_epoch());
      if (InterruptScope::requested()) {
        stop = true;
        break;
      }
      phases.restart();  // the progress line is not the next batch's data time
    }
    if (stop && result.status == RunStatus::kDiverged) break;
    if (stop && s.step_in_epoch < steps_per_epoch()) {
      result.status = RunStatus::kInterrupted;
      result.message = fmt::format("interrupted in epoch {} after step {}", s.epoch + 1, s.step);
      break;
    }
    ++s.epoch;
    s.step_in_epoch = 0;
    if (s.epoch % settings_.eval_every == 0 || s.epoch == settings_.epochs) {
      phases.restart();
      evaluate_now(hooks, now_seconds());
      phases.lap(TrainPhase::kEvaluation);
      if (phases.on()) ++profile_.evaluations;
    }
    s.seconds = now_seconds();
    if (hooks.on_epoch_end) hooks.on_epoch_end(s);
    if (InterruptScope::requested() && !finished()) {
      result.status = RunStatus::kInterrupted;
      result.message = fmt::format("interrupted after epoch {} (step {})", s.epoch, s.step);
      break;
    }
  }
  if (result.status == RunStatus::kCompleted) {
    if (settings_.until_fit && s.fit) {
      result.status = RunStatus::kFit;
      result.message =
          fmt::format("fit the training set ({:.2f}% >= {:.2f}%) after epoch {}",
                      100 * s.last.full_train.accuracy, 100 * settings_.fit_threshold, s.fit_epoch);
    } else {
      result.message = fmt::format("completed {} epochs", s.epoch);
    }
  }
  s.seconds = now_seconds();
  return result;
}

}  // namespace rethink
