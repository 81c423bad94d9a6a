// Device memory for tensors: a caching allocator per CUDA device. A released block goes back
// to its device's cache and serves a later request of (nearly) its size, so once a training
// step has run, the next one takes nothing from the driver (cudaMalloc and cudaFree
// synchronize the device and cost far more than a kernel).
//
// Why reuse is safe without events: every op, copy and fill of a device runs on the device's
// one stream (runtime/cuda_context.h), or on the legacy default stream, which orders with it.
// A block released on the host while queued kernels still use it is therefore handed out
// again only to work queued after those kernels.
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/block_cache.h"
#include "runtime/device.h"

namespace rethink {

// backend_allocations and backend_frees count cudaMalloc and cudaFree calls.
using DeviceMemoryStats = MemoryPoolStats;

// At least `bytes` (> 0) bytes on `device`, 256-byte aligned, contents unspecified. When the
// driver has no memory left, the cache is returned to it and the request retried once; then
// it throws rethink::Error naming the device, the sizes and what to do.
void* device_allocate(Device device, size_t bytes);
// Gives a block from device_allocate back to the cache. Never throws.
void device_release(Device device, void* ptr) noexcept;

DeviceMemoryStats device_memory_stats(Device device);
// Hands every cached block back to the driver.
void release_cached_device_memory(Device device);

}  // namespace rethink
