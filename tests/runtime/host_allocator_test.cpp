#include "runtime/host_allocator.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

#include "runtime/tensor.h"

namespace rethink {
namespace {

constexpr size_t kLarge = 40u << 20;  // above glibc's largest mmap threshold (32 MiB)

bool aligned(const void* p) { return reinterpret_cast<uintptr_t>(p) % kHostAlignment == 0; }

TEST(HostAllocator, ALargeBlockIsReusedAndItsPagesKept) {
  release_cached_host_memory();
  const MemoryPoolStats before = host_memory_stats();
  void* first = host_allocate(kLarge);
  ASSERT_NE(first, nullptr);
  EXPECT_TRUE(aligned(first));
  std::memset(first, 1, kLarge);
  host_release(first, kLarge);
  EXPECT_EQ(host_memory_stats().cached_bytes, kLarge);
  void* second = host_allocate(kLarge - 100);  // rounds to the same pages
  EXPECT_EQ(second, first);
  EXPECT_EQ(host_memory_stats().cache_hits, before.cache_hits + 1);
  host_release(second, kLarge - 100);
  release_cached_host_memory();
  EXPECT_EQ(host_memory_stats().cached_bytes, 0u);
}

TEST(HostAllocator, SmallBlocksAreTheCLibrarys) {
  release_cached_host_memory();
  const MemoryPoolStats before = host_memory_stats();
  void* p = host_allocate(100);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(aligned(p));
  host_release(p, 100);
  EXPECT_EQ(host_memory_stats().backend_allocations, before.backend_allocations);
  EXPECT_EQ(host_memory_stats().cached_bytes, 0u);
}

TEST(HostAllocator, KeepsNoMoreThanItsCap) {
  release_cached_host_memory();
  // Two blocks of 1.5 GiB: the first is cached, the second would pass the 2 GiB cap and goes
  // back to the C library. Neither is touched, so no memory is committed.
  constexpr size_t kHuge = (size_t{3} << 30) / 2;
  static_assert(2 * kHuge > kMaxCachedHostBytes && kHuge <= kMaxCachedHostBytes);
  void* a = host_allocate(kHuge);
  void* b = host_allocate(kHuge);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  host_release(a, kHuge);
  host_release(b, kHuge);
  EXPECT_EQ(host_memory_stats().cached_bytes, kHuge);
  release_cached_host_memory();
}

// The point of it all: from the second step on, a large activation takes no new memory (an
// mmap'd block could come back at the same address, so the books are checked, not that).
TEST(HostAllocator, TensorsOfTheSameSizeShareStorageAcrossSteps) {
  release_cached_host_memory();
  const MemoryPoolStats before = host_memory_stats();
  for (int step = 0; step < 3; ++step) {
    Tensor t = Tensor::zeros({128, 28, 28, 96});
    EXPECT_EQ(t.data<float>()[t.numel() - 1], 0.0f);
  }
  const MemoryPoolStats after = host_memory_stats();
  EXPECT_EQ(after.backend_allocations - before.backend_allocations, 1);
  EXPECT_EQ(after.cache_hits - before.cache_hits, 2);
  release_cached_host_memory();
}

}  // namespace
}  // namespace rethink
