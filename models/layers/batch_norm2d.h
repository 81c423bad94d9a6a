// Batch normalization over the channels of NHWC activations (or [N, C] rows), with TF-slim's
// defaults: beta only (slim's batch_norm has center=True, scale=False), epsilon 1e-3, moving
// averages with decay 0.999 and a bias correction (ops::BatchNormStatistics).
//
// Parameters take PyTorch's names: `weight` is gamma, `bias` is beta; neither decays.
// Buffers: running_mean and running_var (kExported) are the CORRECTED statistics that eval
// mode normalizes with, variance unbiased, as PyTorch keeps them; num_batches_tracked
// (kExported, int32 []) counts the training updates. mean_accumulator, variance_accumulator
// ([C]) and decay_product (float64 []) are the raw state (kResume).
//
// Loading (Module::load_buffers): the three kResume buffers with num_batches_tracked restore
// the exact state, and running_mean/running_var are then ignored (they derive from it).
// Otherwise running_mean and running_var are taken as they are: eval mode gives the same
// outputs as the model they were saved from. With num_batches_tracked = t > 0 (a weights
// file, ours or tools/torch_models.py's) further training continues the bias correction from
// t, the accumulators being running * (1 - decay^t); without it (or t = 0) the statistics
// count as fully warmed up and further training folds batches in without a correction
// (decay product 0), as PyTorch's own BatchNorm2d does.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "models/module.h"
#include "runtime/ops/batch_norm.h"

namespace rethink {

enum class BatchNormAffine : uint8_t {
  kNone,       // normalize only
  kBetaOnly,   // + beta: TF-slim's default and the paper's Inception
  kGammaBeta,  // * gamma + beta: PyTorch's default
};

class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(int64_t channels, BatchNormAffine affine = BatchNormAffine::kBetaOnly,
                       const ops::BatchNormOptions& options = {});
  Tensor forward(const Tensor& x) override;
  std::string_view type_name() const override { return "BatchNorm2d"; }

  int64_t channels() const { return stats_.channels(); }
  BatchNormAffine affine() const { return affine_; }
  const ops::BatchNormOptions& options() const { return options_; }
  const Tensor& gamma() const { return gamma_; }  // undefined unless kGammaBeta
  const Tensor& beta() const { return beta_; }    // undefined for kNone
  const ops::BatchNormStatistics& statistics() const { return stats_; }

 protected:
  void init_parameters(Initializer& init) override;
  void own_buffers(std::vector<NamedBuffer>& out) const override;
  void load_own_buffers(const std::map<std::string, Tensor>& values) override;
  void move_own_buffers(Device device) override { stats_.to(device); }
  void convert_own_buffers(DType dtype) override;

 private:
  BatchNormAffine affine_;
  ops::BatchNormOptions options_;
  ops::BatchNormStatistics stats_;
  Tensor gamma_;
  Tensor beta_;
};

}  // namespace rethink
