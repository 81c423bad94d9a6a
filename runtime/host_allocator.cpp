#include "runtime/host_allocator.h"

#include <cstdlib>
#include <mutex>

namespace rethink {
namespace {

// Cached sizes are rounded to whole pages: a request a few bytes larger reuses the block.
constexpr size_t kGranule = 4096;

class HostPool {
 public:
  void* allocate(size_t bytes) {
    const size_t size = cache_.rounded(bytes);
    std::lock_guard<std::mutex> lock(mutex_);
    if (void* ptr = cache_.take(size)) return ptr;
    void* ptr = std::aligned_alloc(kHostAlignment, size);
    if (ptr == nullptr && cache_.stats().cached_bytes > 0) {
      drop_cache();
      ptr = std::aligned_alloc(kHostAlignment, size);
    }
    if (ptr != nullptr) cache_.add_live(ptr, size);
    return ptr;
  }

  void release(void* ptr) noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    const size_t size = cache_.size_of_live(ptr);
    if (size == 0) return;  // not ours
    if (cache_.stats().cached_bytes + size <= kMaxCachedHostBytes) {
      cache_.release(ptr);  // refuses a second release of a cached block
    } else if (cache_.forget_live(ptr) != 0) {
      std::free(ptr);
    }
  }

  MemoryPoolStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return cache_.stats();
  }

  void release_cache() {
    std::lock_guard<std::mutex> lock(mutex_);
    drop_cache();
  }

 private:
  void drop_cache() {
    for (void* ptr : cache_.drain()) std::free(ptr);
  }

  std::mutex mutex_;
  BlockCache cache_{kGranule};
};

// Never destroyed: tensors in static storage may be released after main returns.
HostPool& pool() {
  static HostPool* const instance = new HostPool;
  return *instance;
}

// aligned_alloc wants a size that is a multiple of the alignment.
size_t round_up(size_t bytes, size_t multiple) {
  return (bytes + multiple - 1) / multiple * multiple;
}

bool cached_size(size_t bytes) { return bytes >= kMinCachedHostBytes; }

}  // namespace

void* host_allocate(size_t bytes) {
  if (!cached_size(bytes))
    return std::aligned_alloc(kHostAlignment, round_up(bytes, kHostAlignment));
  return pool().allocate(bytes);
}

void host_release(void* ptr, size_t bytes) noexcept {
  if (ptr == nullptr) return;
  if (!cached_size(bytes)) {
    std::free(ptr);
    return;
  }
  pool().release(ptr);
}

MemoryPoolStats host_memory_stats() { return pool().stats(); }

void release_cached_host_memory() { pool().release_cache(); }

}  // namespace rethink
