#include "datasets/device_dataset.h"

#include <fmt/format.h>

#include "kernels/error.h"
#include "runtime/gpu.h"

namespace rethink {
namespace {

double mib(size_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

std::string too_large(const Dataset& data, Device device, size_t free_bytes, size_t total_bytes) {
  const size_t train = split_bytes(data.train), test = split_bytes(data.test);
  return fmt::format(
      "--data '{}' does not fit on {}: it takes {:.1f} MiB there (train {} images, {:.1f} MiB; "
      "test {} images, {:.1f} MiB) but {:.1f} of the device's {:.1f} MiB are free: train on a "
      "--subset, free the GPU's memory, or use --device cpu",
      data.spec, device.to_string(), mib(train + test), data.train.size(), mib(train),
      data.test.size(), mib(test), mib(free_bytes), mib(total_bytes));
}

void move_split(Split& split, Device device) {
  if (split.images.defined()) split.images = split.images.to(device);
  if (split.labels.defined()) split.labels = split.labels.to(device);
}

}  // namespace

size_t split_bytes(const Split& split) {
  return (split.images.defined() ? split.images.nbytes() : 0) +
         (split.labels.defined() ? split.labels.nbytes() : 0);
}

void check_dataset_fits(const Dataset& data, Device device, size_t free_bytes,
                        size_t total_bytes) {
  if (split_bytes(data.train) + split_bytes(data.test) > free_bytes) {
    throw UserError(too_large(data, device, free_bytes, total_bytes));
  }
}

void move_dataset_to(Dataset& data, Device device) {
  if (device.is_cuda()) {
    // Asked before allocating, so that the refusal names the data set rather than a buffer.
    // Where the query fails, the allocator's own out-of-memory error (with its sizes) remains.
    if (const std::optional<GpuMemory> m = gpu_memory(device.index)) {
      check_dataset_fits(data, device, m->free_bytes, m->total_bytes);
    }
  }
  move_split(data.train, device);
  move_split(data.test, device);
}

}  // namespace rethink
