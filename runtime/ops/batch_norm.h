// Batch normalization over the channel (last) dimension of NHWC [N, H, W, C] or [N, C] input,
// with TensorFlow's moving averages and names (epsilon, decay) and a bias correction.
#pragma once

#include <cstdint>

#include "runtime/tensor.h"

namespace rethink::ops {

struct BatchNormOptions {
  double epsilon = 1e-3;  // added to the variance; TF-slim's default
  double decay = 0.999;   // moving = decay * moving + (1 - decay) * batch; PyTorch momentum 0.001
};

// TensorFlow-style moving averages of the per-channel batch mean and (unbiased) variance, kept
// uncorrected with the product of the decays they were folded in with. The accumulators start
// at zero, so they are biased towards it until corrected:
//   corrected = accumulator / (1 - decay^updates)
// which makes eval mode meaningful after a few hundred steps instead of a few thousand.
// Before any update the corrected statistics are mean 0 and variance 1 (the identity).
//
// The getters return the live tensors (shared handles, updated in place by every training
// forward): clone() one to keep a snapshot.
class BatchNormStatistics {
 public:
  explicit BatchNormStatistics(int64_t channels, DType dtype = DType::kFloat32,
                               Device device = Device::cpu());

  int64_t channels() const { return channels_; }
  DType dtype() const { return mean_accumulator_.dtype(); }
  Device device() const { return mean_accumulator_.device(); }

  const Tensor& mean_accumulator() const { return mean_accumulator_; }
  const Tensor& variance_accumulator() const { return variance_accumulator_; }
  int64_t updates() const { return updates_; }
  // decay^updates for a constant decay: the weight the zero start still holds.
  double decay_product() const { return decay_product_; }

  // What eval mode normalizes with, and what a checkpoint saves as running_mean/running_var.
  const Tensor& corrected_mean() const { return corrected_mean_; }
  const Tensor& corrected_variance() const { return corrected_variance_; }

  // Folds in one batch's statistics: its mean and BIASED variance over `count` values per
  // channel (count >= 2; the variance is made unbiased, * count / (count - 1), on the way in).
  void update(const Tensor& batch_mean, const Tensor& batch_variance, int64_t count, double decay);

  // Puts back a saved state exactly (a resumed run continues bit for bit).
  void restore(const Tensor& mean_accumulator, const Tensor& variance_accumulator, int64_t updates,
               double decay_product);

  // Puts back statistics saved CORRECTED (a weights file's running_mean and running_var after
  // `updates` > 0 updates with a constant `decay`): they are what eval mode normalizes with,
  // exactly, and the accumulators become corrected * (1 - decay^updates), so that further
  // updates continue (up to rounding) as the run they were saved from would.
  void restore_corrected(const Tensor& mean, const Tensor& variance, int64_t updates, double decay);

  // Back to the state at construction: zero accumulators, no updates.
  void reset();

  // Moves the statistics to `device`; the handles the getters returned follow them.
  void to(Device device);

 private:
  void refresh_corrected();

  int64_t channels_;
  Tensor mean_accumulator_;
  Tensor variance_accumulator_;
  Tensor corrected_mean_;
  Tensor corrected_variance_;
  int64_t updates_ = 0;
  double decay_product_ = 1;
};

// y = (x - mean) / sqrt(var + epsilon) [* gamma] [+ beta] per channel, channels last.
//
// training: mean and var are the batch's (variance biased), and the batch statistics are
// folded into `stats`; the backward is the full batch-statistics gradient. Otherwise
// normalizes with stats' corrected statistics and leaves them alone; the backward treats
// them as constants. gamma and beta are [C] or undefined (absent: 1 and 0). x, gamma, beta
// and stats share one dtype.
Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                  BatchNormStatistics& stats, bool training, const BatchNormOptions& options = {});

}  // namespace rethink::ops
