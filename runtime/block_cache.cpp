#include "runtime/block_cache.h"

#include <algorithm>

namespace rethink {

namespace {
constexpr size_t kMaxWasteDivisor = 4;
}  // namespace

void* BlockCache::take(size_t size) {
  const auto it = free_.lower_bound(size);
  if (it == free_.end() || it->first > size + size / kMaxWasteDivisor) return nullptr;
  void* ptr = it->second;
  stats_.cached_bytes -= it->first;
  stats_.in_use_bytes += it->first;
  stats_.peak_in_use_bytes = std::max(stats_.peak_in_use_bytes, stats_.in_use_bytes);
  ++stats_.cache_hits;
  free_.erase(it);
  in_cache_.erase(ptr);
  return ptr;
}

void BlockCache::add_live(void* ptr, size_t size) {
  live_[ptr] = size;
  ++stats_.backend_allocations;
  stats_.in_use_bytes += size;
  stats_.peak_in_use_bytes = std::max(stats_.peak_in_use_bytes, stats_.in_use_bytes);
}

bool BlockCache::release(void* ptr) {
  const auto it = live_.find(ptr);
  if (it == live_.end() || in_cache_.count(ptr) != 0) return false;
  stats_.in_use_bytes -= it->second;
  stats_.cached_bytes += it->second;
  free_.emplace(it->second, ptr);
  in_cache_.emplace(ptr);
  return true;
}

size_t BlockCache::forget_live(void* ptr) {
  const auto it = live_.find(ptr);
  if (it == live_.end() || in_cache_.count(ptr) != 0) return 0;
  const size_t size = it->second;
  stats_.in_use_bytes -= size;
  ++stats_.backend_frees;
  live_.erase(it);
  return size;
}

std::vector<void*> BlockCache::drain() {
  std::vector<void*> blocks;
  blocks.reserve(free_.size());
  for (const auto& [size, ptr] : free_) {
    blocks.push_back(ptr);
    live_.erase(ptr);
    ++stats_.backend_frees;
  }
  free_.clear();
  in_cache_.clear();
  stats_.cached_bytes = 0;
  return blocks;
}

size_t BlockCache::size_of_live(void* ptr) const {
  const auto it = live_.find(ptr);
  return it == live_.end() ? 0 : it->second;
}

}  // namespace rethink
