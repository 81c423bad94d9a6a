// Host memory for tensors: large blocks are cached for reuse, small ones go to the C library.
//
// Why: glibc serves a request above its mmap threshold (at most 32 MiB, however it adapts)
// with a fresh mmap and unmaps it on free, so every such tensor faults in each of its pages
// again, every step. A batch of 128 small-Inception activations at 28x28x96 is 38.5 MiB; its
// ReLU ran at 7 GB/s instead of the 50 GB/s of the 19 MiB one, and its batch norm, ReLU and
// convolution (forward and backward) cost 77 ms of a 1,060 ms step. Cached blocks keep their
// pages, so from the second step on no large tensor faults.
//
// Blocks of kMinCachedHostBytes or more are cached, up to kMaxCachedHostBytes in all; a block
// released beyond that goes back to the C library (so a one-off huge buffer, such as a kernel
// matrix, is not kept). A failed allocation empties the cache and tries once more.
#pragma once

#include <cstddef>

#include "runtime/block_cache.h"

namespace rethink {

inline constexpr size_t kHostAlignment = 64;
inline constexpr size_t kMinCachedHostBytes = size_t{1} << 20;
inline constexpr size_t kMaxCachedHostBytes = size_t{2} << 30;

// At least `bytes` (> 0) bytes, kHostAlignment-aligned, contents unspecified; nullptr when
// the host is out of memory (the caller says what it was for and throws).
void* host_allocate(size_t bytes);
// Gives back a block from host_allocate. Never throws.
// `bytes` is the size it was asked for.
void host_release(void* ptr, size_t bytes) noexcept;

// The cached blocks only; small blocks are the C library's.
MemoryPoolStats host_memory_stats();
// Hands every cached block back to the C library.
void release_cached_host_memory();

}  // namespace rethink
