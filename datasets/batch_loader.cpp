#include "datasets/batch_loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <numeric>

#include "kernels/batch_transform.h"
#include "kernels/check.h"
#include "runtime/random.h"

namespace rethink {

kernels::TransformShape transform_shape(const Split& split, int64_t crop) {
  const Tensor& images = split.images;
  if (!images.defined() || images.rank() != 4) {
    throw UserError(fmt::format("the data set's images must be [N, H, W, C], not {}",
                                images.defined() ? images.describe() : "missing"));
  }
  if (images.dtype() != DType::kUInt8 && images.dtype() != DType::kFloat32) {
    throw UserError(fmt::format("the data set's images must be uint8 or float32, not {}",
                                dtype_name(images.dtype())));
  }
  const int64_t h = images.size(1), w = images.size(2), c = images.size(3);
  if (c < 1 || c > kernels::kMaxTransformChannels) {
    throw UserError(fmt::format("images with {} channels: the loader takes 1 to {}", c,
                                kernels::kMaxTransformChannels));
  }
  if (h > INT32_MAX / 4 || w > INT32_MAX / 4 || h * w * c > INT32_MAX) {
    throw UserError(fmt::format("images of {}x{}x{} are too large for the loader", h, w, c));
  }
  RT_CHECK(crop > 0, "crop size {} must be positive", crop);
  kernels::TransformShape s;
  s.in_h = static_cast<int32_t>(h);
  s.in_w = static_cast<int32_t>(w);
  s.channels = static_cast<int32_t>(c);
  s.out_h = static_cast<int32_t>(std::min(h, crop));
  s.out_w = static_cast<int32_t>(std::min(w, crop));
  return s;
}

BatchLoader::BatchLoader(const Split& split, int64_t batch_size, const LoaderOptions& options)
    : batch_size_(batch_size),
      options_(options),
      shape_(transform_shape(split, options.crop)),
      device_(options.device.value_or(split.images.device())) {
  RT_CHECK(batch_size > 0, "batch size {} must be positive", batch_size);
  RT_CHECK(split.labels.defined() && split.labels.dtype() == DType::kInt32 &&
               split.labels.rank() == 1 && split.labels.size(0) == split.images.size(0),
           "the split's labels must be int32 [{}], not {}", split.images.size(0),
           split.labels.defined() ? split.labels.describe() : "missing");
  const Device device = device_;
  // Already there: used in place, so a data set uploaded once serves every loader.
  split_.images = split.images.to(device);
  split_.labels = split.labels.to(device);
  images_ = Tensor::empty(Shape{batch_size, shape_.out_h, shape_.out_w, shape_.channels},
                          DType::kFloat32, device);
  labels_ = Tensor::empty(Shape{batch_size}, DType::kInt32, device);
  draws_ = Tensor::empty(Shape{batch_size * static_cast<int64_t>(sizeof(kernels::ImageDraw))},
                         DType::kUInt8, device);
  stats_ = Tensor::empty(Shape{kernels::batch_transform_stats_size(batch_size, shape_)},
                         DType::kFloat64, device);
}

void BatchLoader::begin(std::vector<int32_t> order, int64_t epoch) {
  for (int32_t i : order) {
    RT_CHECK(i >= 0 && i < split_.size(), "batch order index {} outside a split of {}", i,
             split_.size());
  }
  order_ = std::move(order);
  if (device_.is_cuda() && !order_.empty()) {
    const auto n = static_cast<int64_t>(order_.size());
    if (!order_device_.defined() || order_device_.numel() < n) {
      order_device_ = Tensor::empty(Shape{n}, DType::kInt32, device_);
    }
    copy_bytes(device_, order_device_.raw_data(), Device::cpu(), order_.data(),
               order_.size() * sizeof(int32_t));
  }
  epoch_ = epoch;
  position_ = 0;
  last_rows_ = 0;
}

void BatchLoader::start_epoch(int64_t epoch) {
  RT_CHECK(epoch >= 0 && epoch <= UINT32_MAX, "epoch {} out of range", epoch);
  begin(epoch_order(split_.size(), options_.seed, epoch), epoch);
}

void BatchLoader::start(std::vector<int32_t> order) {
  if (order.empty()) {
    order.resize(static_cast<size_t>(split_.size()));
    std::iota(order.begin(), order.end(), 0);
  }
  begin(std::move(order), 0);
}

bool BatchLoader::next(Batch& batch) {
  const int64_t total = static_cast<int64_t>(order_.size());
  if (position_ >= total) return false;
  const int64_t rows = std::min(batch_size_, total - position_);
  batch.images = images_.flat_view(0, Shape{rows, shape_.out_h, shape_.out_w, shape_.channels});
  batch.labels = labels_.flat_view(0, Shape{rows});

  const bool on_gpu = device_.is_cuda();
  const int32_t* index = (on_gpu ? order_device_.data<int32_t>() : order_.data()) + position_;
  const auto run = [&]<class T>() {
    kernels::BatchTransform<T> t{split_.images.data<T>(),
                                 split_.labels.data<int32_t>(),
                                 index,
                                 rows,
                                 shape_,
                                 options_.augment,
                                 options_.whiten,
                                 augment_stream(options_.seed, epoch_),
                                 batch.images.data<float>(),
                                 batch.labels.data<int32_t>(),
                                 reinterpret_cast<kernels::ImageDraw*>(draws_.raw_data()),
                                 stats_.data<double>()};
    if (!on_gpu) {
      kernels::cpu::batch_transform(t);
      return;
    }
#if RETHINK_WITH_CUDA
    // The legacy default stream: it orders with every other blocking stream of the device, so
    // the batch is complete before the model's first kernel reads it.
    kernels::cuda::batch_transform(t, nullptr);
#else
    RT_FAIL("this build of rethink was built without CUDA: use --device cpu");
#endif
  };
  if (split_.images.dtype() == DType::kUInt8) {
    run.template operator()<uint8_t>();
  } else {
    run.template operator()<float>();
  }
  position_ += rows;
  last_rows_ = rows;
  return true;
}

void BatchLoader::skip(int64_t batches) {
  RT_CHECK(batches >= 0, "cannot skip {} batches", batches);
  const auto total = static_cast<int64_t>(order_.size());
  position_ = batches >= (total - position_ + batch_size_ - 1) / batch_size_
                  ? total
                  : position_ + batches * batch_size_;
  last_rows_ = 0;
}

std::vector<AugmentDraw> BatchLoader::last_draws() const {
  const Tensor bytes =
      draws_.flat_view(0, Shape{last_rows_ * static_cast<int64_t>(sizeof(kernels::ImageDraw))});
  const std::vector<uint8_t> host = bytes.to_vector<uint8_t>();
  std::vector<AugmentDraw> draws(static_cast<size_t>(last_rows_));
  std::memcpy(draws.data(), host.data(), host.size());
  return draws;
}

int64_t BatchLoader::batches_per_pass() const {
  const int64_t total = order_.empty() ? split_.size() : static_cast<int64_t>(order_.size());
  return (total + batch_size_ - 1) / batch_size_;
}

std::vector<int32_t> epoch_order(int64_t size, uint64_t seed, int64_t epoch) {
  return random_permutation(
      size, PhiloxStream::make(seed, RngPurpose::kShuffle, static_cast<uint32_t>(epoch)));
}

}  // namespace rethink
