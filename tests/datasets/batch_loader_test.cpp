#include "datasets/batch_loader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <string>

#include "datasets/randomize.h"
#include "tests/support/data.h"

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

TEST(BatchLoaderTest, SkipPassesOverBatchesWithoutMakingThem) {
  const Split split = numbered_split(10);
  BatchLoader loader(split, 4, unwhitened());
  loader.start_epoch(1);
  loader.skip(2);
  Batch batch;
  ASSERT_TRUE(loader.next(batch));
  const std::vector<int32_t> order = epoch_order(10, 0, 1);
  EXPECT_EQ(batch.labels.numel(), 2);  // the last, partial batch: images 8 and 9 of the order
  EXPECT_EQ(batch.images.to_vector<float>()[0], static_cast<float>(order[8]));
  EXPECT_FALSE(loader.next(batch));
  loader.start_epoch(1);
  loader.skip(5);  // past the end: the pass is over
  EXPECT_FALSE(loader.next(batch));
}

// 60 CIFAR-sized uint8 images with Philox bytes and labels, randomized as `mode` says: what a
// run rebuilds from --data and --seed, when it starts and again when it resumes.
Dataset randomized(Randomization mode, uint64_t seed) {
  const int64_t n = 60, side = 32, c = 3;
  const auto v = test::uniform_values<double>(n * side * side * c, 1, 0, 256);
  Dataset d;
  d.spec = "test";
  d.train = {Tensor::from_vector(Shape{n, side, side, c}, std::vector<uint8_t>(v.begin(), v.end())),
             Tensor::from_vector(Shape{n}, test::index_values(n, 10, 2))};
  d.test = {d.train.images.flat_view(0, Shape{5, side, side, c}).clone(),
            d.train.labels.flat_view(0, Shape{5}).clone()};
  d.classes = 10;
  d.full_train_size = n;
  randomize(d, {.mode = mode, .corrupt_prob = 0.5, .seed = seed});
  return d;
}

// Image i's label and batch pixels as one epoch of `loader` yields them, by data set row.
struct PerImage {
  std::map<int32_t, int32_t> label;
  std::map<int32_t, std::vector<float>> pixels;
};

PerImage epoch_by_image(BatchLoader& loader, int64_t size, uint64_t seed, int64_t epoch) {
  loader.start_epoch(epoch);
  const std::vector<int32_t> order = epoch_order(size, seed, epoch);
  PerImage out;
  size_t k = 0;
  Batch batch;
  while (loader.next(batch)) {
    const auto x = batch.images.to_vector<float>();
    const auto y = batch.labels.to_vector<int32_t>();
    const size_t image = x.size() / y.size();
    for (size_t r = 0; r < y.size(); ++r, ++k) {
      out.label[order[k]] = y[r];
      out.pixels[order[k]] = {x.begin() + r * image, x.begin() + (r + 1) * image};
    }
  }
  EXPECT_EQ(k, static_cast<size_t>(size));
  return out;
}

TEST(BatchLoaderTest, RandomizedDataIsTheSameAtEpochOneEpochKAndAfterAResume) {
  const uint64_t seed = 11;
  for (const Randomization mode :
       {Randomization::kPartialLabels, Randomization::kRandomLabels, Randomization::kShuffledPixels,
        Randomization::kRandomPixels, Randomization::kGaussian}) {
    const std::string name(randomization_name(mode));
    const Dataset d = randomized(mode, seed);
    BatchLoader loader(d.train, 16, {.seed = seed});
    const PerImage first = epoch_by_image(loader, 60, seed, 0);
    const PerImage later = epoch_by_image(loader, 60, seed, 6);
    // Fixed once: every image keeps its corrupted label and its randomized pixels.
    EXPECT_EQ(first.label, later.label) << name;
    EXPECT_EQ(first.pixels, later.pixels) << name;
    const auto stored = d.train.labels.to_vector<int32_t>();
    for (const auto& [image, label] : first.label) ASSERT_EQ(label, stored[image]) << name;

    // A resume: the data set rebuilt from the seed, a fresh loader, epoch 6 from its third
    // batch on: the same batches the uninterrupted run makes, bit for bit.
    const Dataset again = randomized(mode, seed);
    EXPECT_EQ(again.train.labels.to_vector<int32_t>(), stored) << name;
    BatchLoader resumed(again.train, 16, {.seed = seed});
    loader.start_epoch(6);
    resumed.start_epoch(6);
    Batch a, b;
    for (int i = 0; i < 2; ++i) ASSERT_TRUE(loader.next(a));
    resumed.skip(2);
    int batches = 0;
    while (loader.next(a)) {
      ASSERT_TRUE(resumed.next(b)) << name;
      EXPECT_EQ(a.labels.to_vector<int32_t>(), b.labels.to_vector<int32_t>()) << name;
      const auto x = a.images.to_vector<float>(), y = b.images.to_vector<float>();
      ASSERT_EQ(x.size(), y.size());
      EXPECT_EQ(std::memcmp(x.data(), y.data(), x.size() * sizeof(float)), 0) << name;
      ++batches;
    }
    EXPECT_EQ(batches, 2) << name;  // 60 images in batches of 16: 4 batches, 2 after the skip
    EXPECT_FALSE(resumed.next(b)) << name;
  }
}

}  // namespace
}  // namespace rethink
