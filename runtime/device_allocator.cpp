#include "runtime/device_allocator.h"

#include "kernels/check.h"
#include "runtime/cuda_context.h"

#if RETHINK_WITH_CUDA
#include <cuda_runtime_api.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "kernels/cuda/check.h"
#endif

namespace rethink {

#if RETHINK_WITH_CUDA
namespace {

// Requests are rounded up to this, so sizes that differ by a few bytes share blocks.
constexpr size_t kGranule = 512;
// A cached block serves a request it exceeds by at most a quarter: reuse without letting a
// small tensor pin a large block.
constexpr size_t kMaxWasteDivisor = 4;
constexpr int kMaxDevices = 64;

double mib(size_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

class Pool {
 public:
  explicit Pool(int index) : index_(index) {}

  void* allocate(size_t bytes) {
    const size_t size = (bytes + kGranule - 1) / kGranule * kGranule;
    std::lock_guard<std::mutex> lock(mutex_);
    void* ptr = take_cached(size);
    size_t held = size;
    if (ptr != nullptr) {
      held = live_.at(ptr);
      ++stats_.cache_hits;
    } else {
      ptr = from_driver(size);
      live_[ptr] = size;
    }
    stats_.in_use_bytes += held;
    stats_.peak_in_use_bytes = std::max(stats_.peak_in_use_bytes, stats_.in_use_bytes);
    return ptr;
  }

  void release(void* ptr) noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = live_.find(ptr);
    // Not ours, or released twice: nothing sensible to do in a destructor.
    if (it == live_.end() || in_cache_.count(ptr) != 0) return;
    stats_.in_use_bytes -= it->second;
    stats_.cached_bytes += it->second;
    free_.emplace(it->second, ptr);
    in_cache_.emplace(ptr);
  }

  DeviceMemoryStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }

  void release_cache() {
    std::lock_guard<std::mutex> lock(mutex_);
    drop_cache();
  }

 private:
  // Best fit among the cached blocks, within the waste bound. Caller holds the lock.
  void* take_cached(size_t size) {
    const auto it = free_.lower_bound(size);
    if (it == free_.end() || it->first > size + size / kMaxWasteDivisor) return nullptr;
    void* ptr = it->second;
    stats_.cached_bytes -= it->first;
    free_.erase(it);
    in_cache_.erase(ptr);
    return ptr;
  }

  void* from_driver(size_t size) {
    (void)cuda_stream(Device::cuda(index_));  // makes the device current (and checks it)
    void* ptr = nullptr;
    cudaError_t status = cudaMalloc(&ptr, size);
    if (status == cudaErrorMemoryAllocation && !free_.empty()) {
      cudaGetLastError();
      drop_cache();
      status = cudaMalloc(&ptr, size);
    }
    if (status != cudaSuccess) {
      cudaGetLastError();
      throw_out_of_memory(size, status);
    }
    ++stats_.driver_allocations;
    return ptr;
  }

  void drop_cache() {
    for (const auto& [size, ptr] : free_) {
      cudaFree(ptr);
      live_.erase(ptr);
      ++stats_.driver_frees;
    }
    free_.clear();
    in_cache_.clear();
    stats_.cached_bytes = 0;
  }

  [[noreturn]] void throw_out_of_memory(size_t size, cudaError_t status) const {
    size_t free_bytes = 0, total_bytes = 0;
    if (cudaMemGetInfo(&free_bytes, &total_bytes) != cudaSuccess) cudaGetLastError();
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, index_) != cudaSuccess) cudaGetLastError();
    throw Error(fmt::format(
        "out of GPU memory on cuda:{} ({}) allocating {:.1f} MiB: {:.1f} of {:.1f} MiB free, "
        "{:.1f} MiB held by this process's tensors ({}): lower --batch or use a smaller model",
        index_, prop.name, mib(size), mib(free_bytes), mib(total_bytes), mib(stats_.in_use_bytes),
        cudaGetErrorString(status)));
  }

  int index_;
  std::mutex mutex_;
  std::multimap<size_t, void*> free_;       // cached blocks by size
  std::unordered_set<void*> in_cache_;      // the same blocks, to refuse a double release
  std::unordered_map<void*, size_t> live_;  // every block taken from the driver: its size
  DeviceMemoryStats stats_;
};

std::array<std::atomic<Pool*>, kMaxDevices> g_pools{};
std::mutex g_pools_mutex;

Pool& pool_for(Device device) {
  RT_CHECK(device.is_cuda() && device.index >= 0 && device.index < kMaxDevices,
           "no device memory pool for {}", device.to_string());
  Pool* pool = g_pools[device.index].load(std::memory_order_acquire);
  if (pool == nullptr) {
    std::lock_guard<std::mutex> lock(g_pools_mutex);
    pool = g_pools[device.index].load(std::memory_order_acquire);
    if (pool == nullptr) {
      pool = new Pool(device.index);  // never freed: see cuda_context.cpp
      g_pools[device.index].store(pool, std::memory_order_release);
    }
  }
  return *pool;
}

}  // namespace

void* device_allocate(Device device, size_t bytes) {
  RT_CHECK(bytes > 0, "device_allocate of 0 bytes");
  return pool_for(device).allocate(bytes);
}

void device_release(Device device, void* ptr) noexcept {
  if (ptr == nullptr || !device.is_cuda() || device.index < 0 || device.index >= kMaxDevices) {
    return;
  }
  if (Pool* pool = g_pools[device.index].load(std::memory_order_acquire)) pool->release(ptr);
}

DeviceMemoryStats device_memory_stats(Device device) { return pool_for(device).stats(); }

void release_cached_device_memory(Device device) { pool_for(device).release_cache(); }

#else

void* device_allocate(Device, size_t) { throw_built_without_cuda(); }
void device_release(Device, void*) noexcept {}
DeviceMemoryStats device_memory_stats(Device) { return {}; }
void release_cached_device_memory(Device) {}

#endif

}  // namespace rethink
