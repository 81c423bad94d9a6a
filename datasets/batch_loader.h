// Walks a split in a given order, batch by batch, gathering each batch into buffers that are
// allocated once and reused for every step.
#pragma once

#include <cstdint>
#include <vector>

#include "datasets/dataset.h"

namespace rethink {

struct Batch {
  Tensor images;  // [b, C, H, W]; b == batch size except for a final partial batch
  Tensor labels;  // [b]
};

class BatchLoader {
 public:
  BatchLoader(const Split& split, int64_t batch_size);

  // Starts a pass over the split in `order` (a permutation of, or a prefix of one of,
  // [0, split size)); an empty order means the stored order.
  void start(std::vector<int32_t> order = {});
  // The next batch of the pass (views of the loader's buffers, valid until the next call),
  // or false when the pass is over.
  bool next(Batch& batch);

  int64_t batches_per_pass() const;

 private:
  const Split* split_;
  int64_t batch_size_;
  std::vector<int32_t> order_;
  int64_t position_ = 0;
  Tensor images_;
  Tensor labels_;
};

// The training order of one epoch: a permutation keyed by (seed, shuffle, epoch).
std::vector<int32_t> epoch_order(int64_t size, uint64_t seed, int64_t epoch);

}  // namespace rethink
