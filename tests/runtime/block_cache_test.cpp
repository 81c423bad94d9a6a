#include "runtime/block_cache.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace rethink {
namespace {

// The cache only keeps books; these "blocks" are addresses in an array, never dereferenced.
char g_arena[8];
void* block(int i) { return &g_arena[i]; }

TEST(BlockCache, RoundsRequestsToTheGranule) {
  BlockCache cache(512);
  EXPECT_EQ(cache.rounded(1), 512u);
  EXPECT_EQ(cache.rounded(512), 512u);
  EXPECT_EQ(cache.rounded(513), 1024u);
}

TEST(BlockCache, AReleasedBlockServesTheNextRequestOfItsSize) {
  BlockCache cache(512);
  EXPECT_EQ(cache.take(4096), nullptr);
  cache.add_live(block(0), 4096);
  EXPECT_EQ(cache.stats().in_use_bytes, 4096u);
  ASSERT_TRUE(cache.release(block(0)));
  EXPECT_EQ(cache.stats().in_use_bytes, 0u);
  EXPECT_EQ(cache.stats().cached_bytes, 4096u);
  EXPECT_EQ(cache.take(4096), block(0));
  EXPECT_EQ(cache.stats().cache_hits, 1);
  EXPECT_EQ(cache.stats().cached_bytes, 0u);
  EXPECT_EQ(cache.stats().in_use_bytes, 4096u);
  EXPECT_EQ(cache.take(4096), nullptr);  // it is live again, not cached twice
}

TEST(BlockCache, BestFitWithinAQuarterOfWaste) {
  BlockCache cache(512);
  cache.add_live(block(0), 8192);
  cache.add_live(block(1), 5120);
  cache.release(block(0));
  cache.release(block(1));
  EXPECT_EQ(cache.take(8192 - 512), block(0));  // 5120 is too small; 8192 within a quarter
  EXPECT_EQ(cache.take(2048), nullptr);         // 5120 wastes more than a quarter of 2048
  EXPECT_EQ(cache.take(4096), block(1));        // 5120 = 4096 + a quarter
}

TEST(BlockCache, RefusesADoubleReleaseAndAStrangeBlock) {
  BlockCache cache(512);
  cache.add_live(block(0), 1024);
  EXPECT_TRUE(cache.release(block(0)));
  EXPECT_FALSE(cache.release(block(0)));
  EXPECT_FALSE(cache.release(block(1)));
  EXPECT_EQ(cache.forget_live(block(0)), 0u);  // cached, not live
  EXPECT_EQ(cache.stats().cached_bytes, 1024u);
}

TEST(BlockCache, DrainHandsBackEveryCachedBlockAndOnlyThose) {
  BlockCache cache(512);
  cache.add_live(block(0), 1024);
  cache.add_live(block(1), 2048);
  cache.add_live(block(2), 4096);
  cache.release(block(0));
  cache.release(block(2));
  std::vector<void*> drained = cache.drain();
  std::sort(drained.begin(), drained.end());
  EXPECT_EQ(drained, (std::vector<void*>{block(0), block(2)}));
  EXPECT_EQ(cache.stats().cached_bytes, 0u);
  EXPECT_EQ(cache.stats().backend_frees, 2);
  EXPECT_EQ(cache.size_of_live(block(1)), 2048u);
  EXPECT_EQ(cache.size_of_live(block(0)), 0u);
  EXPECT_EQ(cache.forget_live(block(1)), 2048u);
  EXPECT_EQ(cache.stats().in_use_bytes, 0u);
  EXPECT_EQ(cache.stats().peak_in_use_bytes, 1024u + 2048u + 4096u);
}

}  // namespace
}  // namespace rethink
