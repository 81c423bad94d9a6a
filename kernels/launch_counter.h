// How much work this process has handed a GPU: every kernel launch of ours (each is followed by
// RT_CUDA_CHECK_LAUNCH, which counts it) and every cuBLAS and cuDNN compute call (each launches
// one or more kernels of the library's choosing, counted as one). Copies and fills are not
// counted. `rethink fit --profile` and the benchmarks report launches per training step: small
// nets at batch 128 are launch-bound on a GPU, and the launches are ours to cut. 0 on the CPU.
#pragma once

#include <cstdint>

namespace rethink::kernels {

// Adds one launch (thread-safe, relaxed: a count, not a synchronization).
void count_device_launch();
// Launches counted since the process started.
int64_t device_launches();

}  // namespace rethink::kernels
