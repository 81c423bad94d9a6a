// --subset N (first N, or a seeded class-balanced pick) and --test-subset M.
#include "datasets/subset.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "datasets/dataset.h"
#include "kernels/error.h"
#include "tests/datasets/reader_files.h"
#include "tests/support/throws.h"

namespace rethink {
namespace {

// Labels 0..2 with 5, 10 and 20 images in an interleaved order.
std::vector<int32_t> uneven_labels() {
  std::vector<int32_t> labels;
  for (int i = 0; i < 20; ++i) {
    labels.push_back(2);
    if (i % 2 == 0) labels.push_back(1);
    if (i % 4 == 0) labels.push_back(0);
  }
  return labels;
}

std::map<int32_t, int> counts(const std::vector<int32_t>& labels,
                              const std::vector<int32_t>& index) {
  std::map<int32_t, int> c;
  for (const int32_t i : index) ++c[labels[static_cast<size_t>(i)]];
  return c;
}

TEST(SubsetTest, FirstKeepsTheFirstNImagesInOrder) {
  const std::vector<int32_t> labels = uneven_labels();
  EXPECT_EQ(subset_indices(labels, 3, 4, "first", 1), (std::vector<int32_t>{0, 1, 2, 3}));
}

TEST(SubsetTest, BalancedTakesEqualCountsPerClassAndSpreadsTheRemainder) {
  const std::vector<int32_t> labels = uneven_labels();
  const std::vector<int32_t> pick = subset_indices(labels, 3, 15, "balanced", 7);
  EXPECT_EQ(counts(labels, pick), (std::map<int32_t, int>{{0, 5}, {1, 5}, {2, 5}}));
  EXPECT_TRUE(std::is_sorted(pick.begin(), pick.end()));
  EXPECT_EQ(std::adjacent_find(pick.begin(), pick.end()), pick.end());  // no repeats

  const std::vector<int32_t> eleven = subset_indices(labels, 3, 11, "balanced", 7);
  std::vector<int> sizes;
  for (const auto& [label, n] : counts(labels, eleven)) sizes.push_back(n);
  std::sort(sizes.begin(), sizes.end());
  EXPECT_EQ(sizes, (std::vector<int>{3, 4, 4}));
}

TEST(SubsetTest, BalancedIsAPureFunctionOfTheSeed) {
  const std::vector<int32_t> labels = uneven_labels();
  const auto a = subset_indices(labels, 3, 9, "balanced", 11);
  EXPECT_EQ(subset_indices(labels, 3, 9, "balanced", 11), a);
  EXPECT_NE(subset_indices(labels, 3, 9, "balanced", 12), a);
  // A pick from the class's images, not its first ones.
  EXPECT_NE(a, subset_indices(labels, 3, 9, "first", 11));
}

TEST(SubsetTest, ImpossibleSubsetsAreUserErrors) {
  const std::vector<int32_t> labels = uneven_labels();
  EXPECT_TRUE(test::throws_with<UserError>([&] { subset_indices(labels, 3, 36, "first", 0); },
                                           {"--subset 36", "35"}));
  EXPECT_TRUE(test::throws_with<UserError>([&] { subset_indices(labels, 3, 18, "balanced", 0); },
                                           {"6 images of class 0", "only 5"}));
  EXPECT_TRUE(test::throws_with<UserError>([&] { subset_indices(labels, 3, 3, "random", 0); },
                                           {"--subset-mode 'random'"}));
}

TEST(SubsetTest, ApplySubsetCutsBothSplitsAndKeepsTheFullTrainingSize) {
  Dataset d = load_dataset("synthetic:50,1,2,2,5", 3);
  const std::vector<float> all = d.train.images.to_vector<float>();
  const std::vector<int32_t> all_labels = d.train.labels.to_vector<int32_t>();
  apply_subset(d, {20, "first", 4}, 3);
  EXPECT_EQ(d.train.images.shape(), (Shape{20, 2, 2, 1}));
  EXPECT_EQ(d.test.size(), 4);
  EXPECT_EQ(d.full_train_size, 50);
  EXPECT_EQ(d.train.images.to_vector<float>(), std::vector<float>(all.begin(), all.begin() + 80));
  EXPECT_EQ(d.train.labels.to_vector<int32_t>(),
            std::vector<int32_t>(all_labels.begin(), all_labels.begin() + 20));
}

// The image-folder trap: classes stored one after the other, so the first N are one class.
TEST(SubsetTest, AFirstSubsetMissingClassesSaysSoAndStillTakesTheFirstN) {
  Dataset d = load_dataset("synthetic:40,1,2,2,4", 3);
  std::vector<int32_t> sorted = d.train.labels.to_vector<int32_t>();
  std::sort(sorted.begin(), sorted.end());
  d.train.labels = Tensor::from_vector(Shape{static_cast<int64_t>(sorted.size())}, sorted);
  const int32_t first_label = sorted.front();
  const auto first_run = std::count(sorted.begin(), sorted.end(), first_label);
  ASSERT_GE(first_run, 2);
  const Tensor all_sorted_labels = d.train.labels;
  const Tensor all_images = d.train.images;
  testing::internal::CaptureStderr();
  apply_subset(d, {first_run, "first", 0}, 3);
  const std::string said = testing::internal::GetCapturedStderr();
  EXPECT_NE(said.find("hold 1 of its 4 classes"), std::string::npos) << said;
  EXPECT_NE(said.find("--subset-mode balanced"), std::string::npos) << said;
  EXPECT_EQ(d.train.size(), first_run);

  d.test.labels = all_sorted_labels;  // a test split ordered by class too
  d.test.images = all_images;
  testing::internal::CaptureStderr();
  apply_subset(d, {0, "first", 2}, 3);
  const std::string said_test = testing::internal::GetCapturedStderr();
  EXPECT_NE(said_test.find("first 2 test images"), std::string::npos) << said_test;
  EXPECT_NE(said_test.find("leave out --test-subset"), std::string::npos) << said_test;

  Dataset all_classes = load_dataset("synthetic:40,1,2,2,4", 3);  // labels interleaved
  testing::internal::CaptureStderr();
  apply_subset(all_classes, {30, "first", 0}, 3);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

TEST(SubsetTest, BalancedSubsetOfUint8ImagesKeepsEachImageWithItsLabel) {
  const test::TempDir dir;
  // Image i is filled with the value 10 * i + its label, so a row moved without its label shows.
  const std::vector<uint8_t> labels = {0, 1, 0, 1, 0, 1, 1, 1};
  std::vector<uint8_t> pixels;
  for (size_t i = 0; i < labels.size(); ++i) {
    pixels.insert(pixels.end(), 4, static_cast<uint8_t>(10 * i + labels[i]));
  }
  test::write_bytes(dir / "train-images-idx3-ubyte", test::idx_bytes({8, 2, 2}, pixels));
  test::write_bytes(dir / "train-labels-idx1-ubyte", test::idx_bytes({8}, labels));
  test::write_bytes(dir / "t10k-images-idx3-ubyte", test::idx_bytes({1, 2, 2}, {1, 2, 3, 4}));
  test::write_bytes(dir / "t10k-labels-idx1-ubyte", test::idx_bytes({1}, {0}));
  const Dataset d = load_dataset("idx:" + dir.path().string(), 5, {4, "balanced", 0});
  ASSERT_EQ(d.train.size(), 4);
  EXPECT_EQ(d.full_train_size, 8);
  const std::vector<uint8_t> px = d.train.images.to_vector<uint8_t>();
  const std::vector<int32_t> lb = d.train.labels.to_vector<int32_t>();
  EXPECT_EQ(std::count(lb.begin(), lb.end(), 0), 2);
  for (size_t r = 0; r < 4; ++r) EXPECT_EQ(px[r * 4] % 10, lb[r]) << r;
  EXPECT_TRUE(test::throws_with<UserError>(
      [&] {
        load_dataset("idx:" + dir.path().string(), 5, {0, "first", 2});
      },
      {"--test-subset 2", "1 test images"}));
}

}  // namespace
}  // namespace rethink
