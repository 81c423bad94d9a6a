// The bookkeeping of a caching allocator, shared by the device allocator (cudaMalloc behind
// it, runtime/device_allocator.h) and the host allocator (the C library behind it,
// runtime/host_allocator.h): which blocks are live, which were released and wait for reuse,
// and the best-fit rule that hands a released block to a later request of nearly its size.
// It never allocates or frees memory itself; its owner does, and holds the lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace rethink {

struct MemoryPoolStats {
  size_t in_use_bytes = 0;          // held by live allocations (rounded sizes)
  size_t cached_bytes = 0;          // released and kept for reuse
  size_t peak_in_use_bytes = 0;     // the most in_use_bytes ever was
  int64_t backend_allocations = 0;  // blocks taken from cudaMalloc or the C library
  int64_t backend_frees = 0;        // blocks given back to them
  int64_t cache_hits = 0;           // requests served from the cache
};

class BlockCache {
 public:
  // Requests are rounded up to a multiple of `granule`, so that sizes differing by a few
  // bytes share blocks.
  explicit BlockCache(size_t granule) : granule_(granule) {}

  size_t rounded(size_t bytes) const { return (bytes + granule_ - 1) / granule_ * granule_; }

  // A cached block for a request of `size` (already rounded), or nullptr: the smallest one
  // at least that large, if it exceeds the request by at most a quarter (reuse without
  // letting a small tensor pin a large block). The block is live again.
  void* take(size_t size);
  // Records a block of `size` bytes just taken from the backend as live.
  void add_live(void* ptr, size_t size);
  // Moves a live block to the cache. False (and nothing changes) for a block that is not
  // live here: never ours, or released twice.
  bool release(void* ptr);
  // Forgets a live block that its owner gives straight back to the backend instead of
  // caching it; returns its size, 0 if it is not live here.
  size_t forget_live(void* ptr);
  // Empties the cache, returning its blocks for the owner to free.
  std::vector<void*> drain();

  size_t size_of_live(void* ptr) const;
  const MemoryPoolStats& stats() const { return stats_; }

 private:
  size_t granule_;
  std::multimap<size_t, void*> free_;       // cached blocks by size
  std::unordered_set<void*> in_cache_;      // the same blocks, to refuse a double release
  std::unordered_map<void*, size_t> live_;  // every block held, live or cached: its size
  MemoryPoolStats stats_;
};

}  // namespace rethink
