#include "datasets/batch_loader.h"

#include <numeric>

#include "kernels/gather_rows.h"
#include "runtime/random.h"

namespace rethink {

BatchLoader::BatchLoader(const Split& split, int64_t batch_size)
    : split_(&split), batch_size_(batch_size) {
  RT_CHECK(batch_size > 0, "batch size {} must be positive", batch_size);
  Shape shape = split.images.shape();
  std::vector<int64_t> dims = shape.dims();
  dims[0] = batch_size;
  images_ = Tensor::empty(Shape(dims), split.images.dtype(), split.images.device());
  labels_ = Tensor::empty(Shape{batch_size}, DType::kInt32, split.labels.device());
}

void BatchLoader::start(std::vector<int32_t> order) {
  if (order.empty()) {
    order.resize(static_cast<size_t>(split_->size()));
    std::iota(order.begin(), order.end(), 0);
  }
  for (int32_t i : order) {
    RT_CHECK(i >= 0 && i < split_->size(), "batch order index {} outside a split of {}", i,
             split_->size());
  }
  order_ = std::move(order);
  position_ = 0;
}

bool BatchLoader::next(Batch& batch) {
  const int64_t total = static_cast<int64_t>(order_.size());
  if (position_ >= total) return false;
  const int64_t rows = std::min(batch_size_, total - position_);
  const int32_t* index = order_.data() + position_;
  const int64_t row_size = split_->images.numel() / std::max<int64_t>(split_->size(), 1);

  std::vector<int64_t> dims = images_.shape().dims();
  dims[0] = rows;
  batch.images = images_.flat_view(0, Shape(dims));
  batch.labels = labels_.flat_view(0, Shape{rows});
  kernels::cpu::gather_rows(split_->images.data<float>(), index, rows, row_size,
                            batch.images.data<float>());
  kernels::cpu::gather_rows(split_->labels.data<int32_t>(), index, rows, 1,
                            batch.labels.data<int32_t>());
  position_ += rows;
  return true;
}

int64_t BatchLoader::batches_per_pass() const {
  const int64_t total = order_.empty() ? split_->size() : static_cast<int64_t>(order_.size());
  return (total + batch_size_ - 1) / batch_size_;
}

std::vector<int32_t> epoch_order(int64_t size, uint64_t seed, int64_t epoch) {
  return random_permutation(
      size, PhiloxStream::make(seed, RngPurpose::kShuffle, static_cast<uint32_t>(epoch)));
}

}  // namespace rethink
