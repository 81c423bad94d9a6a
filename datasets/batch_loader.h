// Walks a split batch by batch. The split lives on the loader's device (uploaded once, as
// stored: uint8, or float32 for generated data; see datasets/device_dataset.h); each step one
// gather-transform kernel (kernels/batch_transform.h) writes the float32 batch by the pass's
// order: center or random crop, flip, rotation, brightness and contrast, per-image whitening.
// Batch buffers are allocated once and reused for every step; on a GPU the pass's order is
// copied there once per pass, so a step moves nothing from the host.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "datasets/augment.h"
#include "datasets/dataset.h"
#include "runtime/device.h"

namespace rethink {

// The side of the paper's center crop (CIFAR-10's 32x32 -> 28x28).
inline constexpr int64_t kCropSize = 28;

struct Batch {
  Tensor images;  // float32 [b, out_h, out_w, C]; b == batch size except for a final partial batch
  Tensor labels;  // int32 [b]
};

struct LoaderOptions {
  AugmentOptions augment{};  // none: the evaluation transform (center crop, whitening)
  bool whiten = true;      // per-image standardization, as the paper's preprocessing
  int64_t crop = kCropSize;
  uint64_t seed = 0;  // keys the epoch orders and the augmentation draws
  // Where the batches are made. Empty: where the split's images are, so that a data set moved
  // to the GPU once (move_dataset_to) serves every loader in place, with no copy.
  std::optional<Device> device = std::nullopt;
};

// The stored and batch image sizes: the center crop to `crop` x `crop` (identity for images
// that are no larger). UserError for an image layout the kernel cannot take.
kernels::TransformShape transform_shape(const Split& split, int64_t crop = kCropSize);

class BatchLoader {
 public:
  BatchLoader(const Split& split, int64_t batch_size, const LoaderOptions& options = {});

  // Epoch `epoch` (0-based) of training: the Philox permutation keyed by (seed, shuffle,
  // epoch), augmentation keyed by (seed, augment, epoch). A pure function of the epoch, so a
  // resumed run starts exactly where the uninterrupted one would be.
  void start_epoch(int64_t epoch);
  // A pass in `order` (a permutation of, or a prefix of one of, [0, split size)); an empty
  // order means the stored order. Augmentation, if any, draws as in epoch 0.
  void start(std::vector<int32_t> order = {});
  // The next batch of the pass (views of the loader's buffers, valid until the next call),
  // or false when the pass is over.
  bool next(Batch& batch);
  // Passes over the next `batches` batches without making them: a run resumed inside an epoch
  // continues with the very batch the uninterrupted run would have made next.
  void skip(int64_t batches);

  int64_t batches_per_pass() const;
  const kernels::TransformShape& shape() const { return shape_; }
  // What each image of the last batch realized (crop window, flip, angle, ...), on the host.
  std::vector<AugmentDraw> last_draws() const;

 private:
  void begin(std::vector<int32_t> order, int64_t epoch);

  Split split_;  // on options_.device
  int64_t batch_size_;
  LoaderOptions options_;
  kernels::TransformShape shape_;
  std::vector<int32_t> order_;
  Device device_;
  Tensor order_device_;  // order_ on the device (CUDA only), reused from pass to pass
  int64_t epoch_ = 0;
  int64_t position_ = 0;
  int64_t last_rows_ = 0;
  Tensor images_;
  Tensor labels_;
  Tensor draws_;  // ImageDraw[batch] as bytes
  Tensor stats_;  // float64 statistics workspace
};

// The training order of one epoch: a permutation keyed by (seed, shuffle, epoch).
std::vector<int32_t> epoch_order(int64_t size, uint64_t seed, int64_t epoch);

}  // namespace rethink
