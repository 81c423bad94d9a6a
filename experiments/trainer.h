// The training loop: SGD over epochs of a shuffled training set, an evaluation of the whole
// training and test splits every few epochs, and a state (TrainState) that a checkpoint saves
// and a resumed run continues from, bit for bit.
//
// Everything that varies from step to step is a pure function of the state: the epoch's order
// and augmentation are keyed by (seed, epoch), dropout masks by the step, the learning rate by
// the images seen. So a trainer given the state, weights, momentum and buffers of step S runs
// exactly the steps an uninterrupted run would run after S.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "datasets/augment.h"
#include "datasets/dataset.h"
#include "experiments/evaluate.h"
#include "experiments/train_profile.h"
#include "models/module.h"
#include "runtime/device.h"
#include "runtime/optim/lr_schedule.h"
#include "runtime/optim/sgd.h"
#include "runtime/parameter_slab.h"

namespace rethink {

struct TrainSettings {
  int64_t epochs = 10;  // the total, counting epochs done before a resume
  int64_t batch_size = 128;
  LrSchedule schedule;
  SgdOptions sgd;
  uint64_t seed = 0;
  bool until_fit = false;      // stop once the full training set is fit
  double fit_threshold = 1.0;  // ... to this accuracy (eval mode, whole training split)
  int64_t eval_batch_size = 1000;
  int64_t eval_every = 1;  // evaluate after every N-th epoch, and after the last
  AugmentOptions augment;  // training batches only; evaluation takes the center crop
  Device device = Device::cpu();
  bool profile = false;  // time the phases of every step (profile()); on a GPU, synchronizes
};

// One evaluation: a row of metrics.csv.
struct EpochRecord {
  int64_t epoch = 0;  // 1-based: the epoch just finished
  int64_t step = 0;   // optimizer steps so far
  int64_t images_seen = 0;
  double lr = 0;              // learning rate of the last step
  double train_loss = 0;      // running mean over the batches since the previous evaluation
  double train_accuracy = 0;  // ... (training mode, augmented batches)
  double grad_norm = 0;       // mean L2 norm of the loss gradient over those steps
  EvalResult full_train;      // the whole training split, evaluation mode
  EvalResult test;
  double best_test_accuracy = 0;  // the highest test accuracy of any evaluation so far
  double seconds = 0;             // wall seconds of training so far, evaluations included
  double images_per_second = 0;   // training steps only
};

// Where a run stands: everything a checkpoint holds besides tensors.
struct TrainState {
  int64_t epoch = 0;          // epochs completed
  int64_t step_in_epoch = 0;  // steps done of the next epoch (0 at an epoch boundary)
  int64_t step = 0;           // optimizer steps so far
  int64_t images_seen = 0;    // the learning-rate schedule's position
  double lr = 0;              // of the last step

  // Running sums since the last evaluation.
  double loss_sum = 0;  // sum over images of the batch loss
  int64_t correct = 0;
  int64_t seen = 0;
  double grad_norm_sum = 0;
  int64_t grad_norm_steps = 0;

  double best_test_accuracy = 0;
  bool fit = false;  // the training split was fit at some evaluation
  int64_t fit_epoch = 0;
  int64_t fit_step = 0;
  double fit_seconds = 0;       // wall seconds, evaluations included
  double fit_step_seconds = 0;  // seconds in training steps only

  double seconds = 0;       // wall seconds of training, over every session
  double step_seconds = 0;  // ... spent in training steps
  bool evaluated = false;   // `last` holds an evaluation
  EpochRecord last;
};

enum class RunStatus { kCompleted, kFit, kInterrupted, kDiverged };
std::string_view run_status_name(RunStatus status);

struct TrainResult {
  RunStatus status = RunStatus::kCompleted;
  int64_t steps_run = 0;  // by this call (a resumed run counts only its own)
  std::string message;    // why it stopped, for a person
};

// What the trainer tells its caller while it runs.
struct TrainHooks {
  // After every training step (cheap: the caller throttles what it prints).
  std::function<void(const TrainState&, int64_t steps_per_epoch)> on_step;
  // After every evaluation, with its record (state.last).
  std::function<void(const EpochRecord&)> on_evaluation;
  // After every finished epoch (after its evaluation, if any): checkpoints go here.
  std::function<void(const TrainState&)> on_epoch_end;
};

class Trainer {
 public:
  // `model`'s parameters live in `slab`; all three must outlive the trainer.
  Trainer(Module& model, ParameterSlab& slab, const Dataset& data, const TrainSettings& settings);

  // The state to resume from (set it, with the weights, momentum and buffers, before run()).
  TrainState& state() { return state_; }
  const TrainState& state() const { return state_; }
  Sgd& sgd() { return sgd_; }
  const TrainSettings& settings() const { return settings_; }
  int64_t steps_per_epoch() const;

  // Trains from the current state to settings.epochs (or until fit, a Ctrl-C via
  // InterruptScope, or a non-finite loss or gradient, which leaves the state at the last good
  // step). A call on a state that is already done returns at once.
  TrainResult run(const TrainHooks& hooks = {});

  // Whether the state is done: all epochs run, or fit with until_fit.
  bool finished() const;

  // Where this session's time went, when settings.profile is on (zeros otherwise).
  const TrainProfile& profile() const { return profile_; }

 private:
  void evaluate_now(const TrainHooks& hooks, double session_seconds);

  Module& model_;
  ParameterSlab& slab_;
  const Dataset& data_;
  TrainSettings settings_;
  Sgd sgd_;
  TrainState state_;
  TrainProfile profile_;
};

}  // namespace rethink
