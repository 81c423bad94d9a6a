#include "datasets/batch_loader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace rethink {
namespace {

LoaderOptions unwhitened() {
  LoaderOptions o;
  o.whiten = false;
  return o;
}

// A split whose image i holds the value i everywhere, so a batch shows which images it got
// (unwhitened: whitening would make every such image zero).
Split numbered_split(int64_t n) {
  std::vector<float> pixels;
  std::vector<int32_t> labels;
  for (int64_t i = 0; i < n; ++i) {
    for (int k = 0; k < 6; ++k) pixels.push_back(static_cast<float>(i));
    labels.push_back(static_cast<int32_t>(i % 3));
  }
  return {Tensor::from_vector(Shape{n, 1, 2, 3}, pixels), Tensor::from_vector(Shape{n}, labels)};
}

TEST(BatchLoaderTest, AnEpochVisitsEveryImageOnceInTheGivenOrderWithAPartialLastBatch) {
  const Split split = numbered_split(10);
  BatchLoader loader(split, 4, unwhitened());
  const std::vector<int32_t> order = epoch_order(10, /*seed=*/5, /*epoch=*/0);
  loader.start(order);
  std::vector<int32_t> seen;
  std::vector<int64_t> sizes;
  Batch batch;
  while (loader.next(batch)) {
    sizes.push_back(batch.labels.numel());
    const auto px = batch.images.to_vector<float>();
    const auto y = batch.labels.to_vector<int32_t>();
    for (int64_t r = 0; r < batch.labels.numel(); ++r) {
      const int32_t image = static_cast<int32_t>(px[r * 6]);
      EXPECT_EQ(px[r * 6 + 5], static_cast<float>(image));
      EXPECT_EQ(y[r], image % 3);
      seen.push_back(image);
    }
  }
  EXPECT_EQ(sizes, (std::vector<int64_t>{4, 4, 2}));
  EXPECT_EQ(seen, order);
}

TEST(BatchLoaderTest, EpochOrdersArePermutationsThatChangeEachEpochAndRepeatForTheSameSeed) {
  const auto e0 = epoch_order(100, 1, 0);
  const auto e1 = epoch_order(100, 1, 1);
  EXPECT_EQ(std::set<int32_t>(e0.begin(), e0.end()).size(), 100u);
  EXPECT_EQ(*std::max_element(e0.begin(), e0.end()), 99);
  EXPECT_NE(e0, e1);
  EXPECT_EQ(e0, epoch_order(100, 1, 0));
  EXPECT_NE(e0, epoch_order(100, 2, 0));
}

TEST(BatchLoaderTest, WithoutAnOrderItWalksTheStoredOrder) {
  const Split split = numbered_split(5);
  BatchLoader loader(split, 2, unwhitened());
  loader.start();
  EXPECT_EQ(loader.batches_per_pass(), 3);
  Batch batch;
  ASSERT_TRUE(loader.next(batch));
  EXPECT_EQ(batch.labels.to_vector<int32_t>(), (std::vector<int32_t>{0, 1}));
}

TEST(BatchLoaderTest, AnOrderIndexOutsideTheSplitIsRejected) {
  const Split split = numbered_split(3);
  BatchLoader loader(split, 2);
  EXPECT_THROW(loader.start({0, 3}), Error);
}

}  // namespace
}  // namespace rethink
