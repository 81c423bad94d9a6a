#include "runtime/device_allocator.h"

#include "kernels/check.h"
#include "runtime/cuda_context.h"

#if RETHINK_WITH_CUDA
#include <cuda_runtime_api.h>

#include <array>
#include <atomic>
#include <mutex>

#include "kernels/cuda/check.h"
#include "runtime/block_cache.h"
#endif

namespace rethink {

#if RETHINK_WITH_CUDA
namespace {

// Requests are rounded up to this, so sizes that differ by a few bytes share blocks.
constexpr size_t kGranule = 512;
constexpr int kMaxDevices = 64;

double mib(size_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

class Pool {
 public:
  explicit Pool(int index) : index_(index) {}

  void* allocate(size_t bytes) {
    const size_t size = cache_.rounded(bytes);
    std::lock_guard<std::mutex> lock(mutex_);
    if (void* ptr = cache_.take(size)) return ptr;
    void* ptr = from_driver(size);
    cache_.add_live(ptr, size);
    return ptr;
  }

  // Not ours, or released twice: nothing sensible to do in a destructor, so it is ignored.
  void release(void* ptr) noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    cache_.release(ptr);
  }

  DeviceMemoryStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return cache_.stats();
  }

  void release_cache() {
    std::lock_guard<std::mutex> lock(mutex_);
    drop_cache();
  }

 private:
  void* from_driver(size_t size) {
    (void)cuda_stream(Device::cuda(index_));  // makes the device current (and checks it)
    void* ptr = nullptr;
    cudaError_t status = cudaMalloc(&ptr, size);
    if (status == cudaErrorMemoryAllocation && cache_.stats().cached_bytes > 0) {
      cudaGetLastError();
      drop_cache();
      status = cudaMalloc(&ptr, size);
    }
    if (status != cudaSuccess) {
      cudaGetLastError();
      throw_out_of_memory(size, status);
    }
    return ptr;
  }

  void drop_cache() {
    for (void* ptr : cache_.drain()) cudaFree(ptr);
  }

  [[noreturn]] void throw_out_of_memory(size_t size, cudaError_t status) const {
    size_t free_bytes = 0, total_bytes = 0;
    if (cudaMemGetInfo(&free_bytes, &total_bytes) != cudaSuccess) cudaGetLastError();
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, index_) != cudaSuccess) cudaGetLastError();
    throw Error(fmt::format(
        "out of GPU memory on cuda:{} ({}) allocating {:.1f} MiB: {:.1f} of {:.1f} MiB free, "
        "{:.1f} MiB held by this process's tensors ({}): lower --batch or use a smaller model",
        index_, prop.name, mib(size), mib(free_bytes), mib(total_bytes),
        mib(cache_.stats().in_use_bytes), cudaGetErrorString(status)));
  }

  int index_;
  std::mutex mutex_;
  BlockCache cache_{kGranule};
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
