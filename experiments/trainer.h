// The training loop: SGD over epochs of a shuffled training set, with a full evaluation of
// the training and test splits after every epoch.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "datasets/augment.h"
#include "datasets/dataset.h"
#include "experiments/evaluate.h"
#include "models/module.h"
#include "runtime/optim/lr_schedule.h"
#include "runtime/optim/sgd.h"
#include "runtime/parameter_slab.h"

namespace rethink {

struct TrainSettings {
  int64_t epochs = 10;
  int64_t batch_size = 128;
  LrSchedule schedule;
  SgdOptions sgd;
  uint64_t seed = 0;
  bool until_fit = false;      // stop once the full training set is fit
  double fit_threshold = 1.0;  // ... to this accuracy (eval mode, whole training split)
  int64_t eval_batch_size = 1000;
  AugmentOptions augment;  // training batches only; evaluation takes the center crop
};

struct EpochRecord {
  int64_t epoch = 0;  // 1-based: the epoch just finished
  int64_t step = 0;   // optimizer steps so far
  int64_t images_seen = 0;
  double lr = 0;              // learning rate of the epoch's last step
  double train_loss = 0;      // running mean over the epoch's batches (training mode)
  double train_accuracy = 0;  // running, over the epoch's batches
  EvalResult full_train;      // the whole training split, evaluation mode
  EvalResult test;
  double seconds = 0;  // since training started, evaluations included
  double images_per_second = 0;  // training steps only
};

enum class RunStatus { kCompleted, kFit, kInterrupted, kDiverged };
std::string_view run_status_name(RunStatus status);

struct TrainResult {
  RunStatus status = RunStatus::kCompleted;
  int64_t epochs_completed = 0;
  int64_t steps = 0;
  int64_t images_seen = 0;
  EpochRecord last;  // the last finished epoch (epoch 0 when none finished)
  // When the training split was first fit (accuracy >= threshold at an epoch's end).
  bool fit = false;
  int64_t fit_epoch = 0;
  int64_t fit_step = 0;
  double fit_seconds = 0;
  double seconds = 0;
  std::string message;  // why it stopped, for a person
};

// Trains `model` (whose parameters live in `slab`) on data.train. `on_epoch` sees every
// finished epoch; it may write files. Stops early on Ctrl-C (InterruptScope) or a non-finite
// loss, saying so in the result.
TrainResult train(Module& model, ParameterSlab& slab, const Dataset& data,
                  const TrainSettings& settings,
                  const std::function<void(const EpochRecord&)>& on_epoch);

}  // namespace rethink
