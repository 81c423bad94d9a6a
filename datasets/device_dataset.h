// The data set on the run's device (DESIGN.md, "Speed on the GPU"): both splits are copied there
// once, before training, as stored (uint8, or float32 for generated and Gaussian data), and
// every BatchLoader over them gathers its batches in place, so a training step moves nothing
// from the host to the device.
#pragma once

#include <cstddef>

#include "datasets/dataset.h"
#include "runtime/device.h"

namespace rethink {

// Bytes a split occupies: its images and its labels.
size_t split_bytes(const Split& split);

// Refuses (UserError) a data set of `train_bytes` + `test_bytes` that does not fit in
// `free_bytes` of `device`'s memory, naming the data set, both splits' sizes, the device's free
// and total memory and what to do. Separate from move_dataset_to so that the refusal can be
// checked without a GPU.
void check_dataset_fits(const Dataset& data, Device device, size_t free_bytes, size_t total_bytes);

// Moves both splits of `data` to `device`; nothing to do when they are there already. For a CUDA
// device the data set must first fit in its free memory (check_dataset_fits).
void move_dataset_to(Dataset& data, Device device);

}  // namespace rethink
