#include "datasets/randomize.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>

namespace rethink {
namespace {

// A small uint8 data set as a reader would store it: image i, position p, channel c holds
// (i * 7 + p * 3 + c * 11) mod 256, and label i mod classes (balanced).
Dataset bytes_dataset(int64_t train, int64_t test, int64_t h, int64_t w, int64_t c,
                      int64_t classes = 10) {
  const auto split = [&](int64_t n, int64_t first) {
    std::vector<uint8_t> px(static_cast<size_t>(n * h * w * c));
    std::vector<int32_t> y(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t p = 0; p < h * w; ++p) {
        for (int64_t k = 0; k < c; ++k) {
          px[static_cast<size_t>((i * h * w + p) * c + k)] =
              static_cast<uint8_t>(((first + i) * 7 + p * 3 + k * 11) % 256);
        }
      }
      y[static_cast<size_t>(i)] = static_cast<int32_t>((first + i) % classes);
    }
    return Split{Tensor::from_vector(Shape{n, h, w, c}, px), Tensor::from_vector(Shape{n}, y)};
  };
  Dataset d;
  d.kind = "test";
  d.train = split(train, 0);
  d.test = split(test, train);
  d.channels = c;
  d.height = h;
  d.width = w;
  d.classes = classes;
  d.full_train_size = train;
  return d;
}

TEST(RandomizeTest, PartialLabelsChangeAFractionWithinThreeSigmaOfNinetyPercentOfP) {
  const int64_t n = 20000;
  const Dataset d = bytes_dataset(n, 1, 1, 1, 1);
  for (double p : {0.1, 0.3, 0.5, 0.8, 1.0}) {
    LabelCorruption r;
    const Tensor y = corrupt_labels(d.train.labels, p, 10, label_stream(7, 0), &r);
    const double q = 0.9 * p, sigma = std::sqrt(q * (1 - q) / static_cast<double>(n));
    const auto before = d.train.labels.to_vector<int32_t>(), after = y.to_vector<int32_t>();
    int64_t changed = 0;
    for (size_t i = 0; i < before.size(); ++i) {
      ASSERT_GE(after[i], 0);
      ASSERT_LT(after[i], 10);
      changed += before[i] != after[i];
    }
    EXPECT_EQ(changed, r.changed) << p;
    EXPECT_NEAR(static_cast<double>(changed) / n, q, 3 * sigma + 1e-12) << "p = " << p;
    const double sigma_redrawn = std::sqrt(p * (1 - p) / static_cast<double>(n));
    EXPECT_NEAR(static_cast<double>(r.redrawn) / n, p, 3 * sigma_redrawn + 1e-12) << p;
  }
}

TEST(RandomizeTest, ProbabilityZeroKeepsEveryLabel) {
  const Dataset d = bytes_dataset(1000, 1, 1, 1, 1);
  LabelCorruption r;
  const Tensor y = corrupt_labels(d.train.labels, 0.0, 10, label_stream(1, 0), &r);
  EXPECT_EQ(y.to_vector<int32_t>(), d.train.labels.to_vector<int32_t>());
  EXPECT_EQ(r.redrawn, 0);
  EXPECT_THROW(corrupt_labels(d.train.labels, 1.5, 10, label_stream(1, 0)), UserError);
}

TEST(RandomizeTest, RandomLabelsAreIidNotAPermutationOfTheTrueLabels) {
  Dataset d = bytes_dataset(1000, 100, 2, 2, 1);  // exactly 100 of each class
  const auto test_before = d.test.labels.to_vector<int32_t>();
  const RandomizeReport r = randomize(d, {.mode = Randomization::kRandomLabels, .seed = 3});
  EXPECT_EQ(r.corrupt_prob, 1.0);
  EXPECT_EQ(r.train_labels.redrawn, 1000);
  std::map<int32_t, int> counts;
  for (int32_t y : d.train.labels.to_vector<int32_t>()) ++counts[y];
  EXPECT_EQ(counts.size(), 10u);
  // A permutation would keep 100 per class; i.i.d. draws almost surely do not.
  EXPECT_TRUE(
      std::any_of(counts.begin(), counts.end(), [](const auto& kv) { return kv.second != 100; }));
  EXPECT_EQ(d.test.labels.to_vector<int32_t>(), test_before);  // training labels only
  EXPECT_EQ(r.test_labels.size, 0);
}

TEST(RandomizeTest, CorruptTestCorruptsTheTestLabelsWithTheirOwnDraws) {
  Dataset d = bytes_dataset(500, 500, 1, 1, 1);
  const auto test_before = d.test.labels.to_vector<int32_t>();
  const RandomizeReport r = randomize(
      d, {.mode = Randomization::kPartialLabels, .corrupt_prob = 0.5, .corrupt_test = true});
  EXPECT_EQ(r.test_labels.size, 500);
  EXPECT_GT(r.test_labels.changed, 150);
  EXPECT_NE(d.test.labels.to_vector<int32_t>(), test_before);
  Dataset e = bytes_dataset(500, 1, 1, 1, 1);
  EXPECT_THROW(randomize(e, {.mode = Randomization::kShuffledPixels, .corrupt_test = true}),
               UserError);
}

std::vector<uint8_t> image_bytes(const Tensor& images, int64_t i) {
  const auto all = images.to_vector<uint8_t>();
  const int64_t row = images.numel() / images.size(0);
  return {all.begin() + i * row, all.begin() + (i + 1) * row};
}

bool is_permutation_of_positions(const std::vector<int32_t>& p, int64_t n) {
  std::vector<int32_t> sorted = p;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int32_t> iota(static_cast<size_t>(n));
  std::iota(iota.begin(), iota.end(), 0);
  return sorted == iota;
}

TEST(RandomizeTest, ShuffledPixelsMovesEveryImageOfBothSplitsByOnePermutationChannelsTogether) {
  Dataset d = bytes_dataset(4, 3, 32, 32, 3);
  const Tensor train_crop = center_crop(d.train.images, 28, 28);
  const Tensor test_crop = center_crop(d.test.images, 28, 28);
  const RandomizeReport r = randomize(d, {.mode = Randomization::kShuffledPixels, .seed = 9});
  ASSERT_TRUE(is_permutation_of_positions(r.pixel_permutation, 28 * 28));
  EXPECT_EQ(r.cropped_from_h, 32);
  EXPECT_EQ(d.train.images.shape(), (Shape{4, 28, 28, 3}));  // stored cropped
  EXPECT_EQ(d.height, 28);
  for (const auto& [after, before] :
       {std::pair{d.train.images, train_crop}, std::pair{d.test.images, test_crop}}) {
    for (int64_t i = 0; i < after.size(0); ++i) {
      const auto a = image_bytes(after, i), b = image_bytes(before, i);
      for (int64_t p = 0; p < 28 * 28; ++p) {
        for (int64_t c = 0; c < 3; ++c) {
          ASSERT_EQ(a[p * 3 + c], b[r.pixel_permutation[p] * 3 + c]) << i << " " << p;
        }
      }
    }
  }
  EXPECT_NE(shuffled_pixels_permutation(784, 9), shuffled_pixels_permutation(784, 10));
}

TEST(RandomizeTest, RandomPixelsGivesEveryImageItsOwnPermutation) {
  Dataset d = bytes_dataset(3, 2, 28, 28, 3);
  const Dataset original = bytes_dataset(3, 2, 28, 28, 3);
  randomize(d, {.mode = Randomization::kRandomPixels, .seed = 4});
  std::set<std::vector<int32_t>> seen;
  for (uint32_t split = 0; split < 2; ++split) {
    const Tensor& after = split == 0 ? d.train.images : d.test.images;
    const Tensor& before = split == 0 ? original.train.images : original.test.images;
    for (int64_t i = 0; i < after.size(0); ++i) {
      const auto perm = random_pixels_permutation(784, 4, split, i);
      ASSERT_TRUE(is_permutation_of_positions(perm, 784));
      seen.insert(perm);
      const auto a = image_bytes(after, i), b = image_bytes(before, i);
      for (int64_t p = 0; p < 784; ++p) {
        for (int64_t c = 0; c < 3; ++c) ASSERT_EQ(a[p * 3 + c], b[perm[p] * 3 + c]);
      }
    }
  }
  EXPECT_EQ(seen.size(), 5u);  // five images, five different permutations
}

TEST(RandomizeTest, GaussianMatchesTheTrainingSetsPerChannelMomentsAsFloat32) {
  // Channel 0 around 50/255, channel 1 around 200/255 with a wider spread.
  const int64_t n = 200;
  std::vector<uint8_t> px(static_cast<size_t>(n * 32 * 32 * 2));
  for (size_t i = 0; i < px.size(); i += 2) {
    px[i] = static_cast<uint8_t>(45 + (i / 2) % 11);
    px[i + 1] = static_cast<uint8_t>(170 + (i / 2 * 7) % 61);
  }
  Dataset d;
  d.train = {Tensor::from_vector(Shape{n, 32, 32, 2}, px),
             Tensor::from_vector(Shape{n}, std::vector<int32_t>(n, 1))};
  d.test = {Tensor::from_vector(Shape{1, 32, 32, 2}, std::vector<uint8_t>(2048, 0)),
            Tensor::from_vector(Shape{1}, std::vector<int32_t>{0})};
  d.classes = 2;
  const ChannelMoments want = channel_moments(center_crop(d.train.images, 28, 28));
  const RandomizeReport r = randomize(d, {.mode = Randomization::kGaussian, .seed = 5});
  ASSERT_EQ(d.train.images.dtype(), DType::kFloat32);
  ASSERT_EQ(d.train.images.shape(), (Shape{n, 28, 28, 2}));
  ASSERT_EQ(d.test.images.shape(), (Shape{1, 28, 28, 2}));
  EXPECT_EQ(r.gaussian.mean, want.mean);
  EXPECT_NEAR(want.mean[0], 50.0 / 255, 0.01);
  const ChannelMoments got = channel_moments(d.train.images);
  for (size_t c = 0; c < 2; ++c) {
    // n * 784 = 156,800 draws per channel: the sample mean is within 4 standard errors.
    const double se = want.stddev[c] / std::sqrt(156800.0);
    EXPECT_NEAR(got.mean[c], want.mean[c], 4 * se) << c;
    EXPECT_NEAR(got.stddev[c], want.stddev[c], 0.01 * want.stddev[c]) << c;
  }
  // Not quantized: more distinct values than a byte has.
  const auto v = d.train.images.to_vector<float>();
  EXPECT_GT(std::set<float>(v.begin(), v.begin() + 4096).size(), 1000u);
}

TEST(RandomizeTest, TheSameSeedGivesTheSameDataAndAnotherSeedOtherData) {
  for (Randomization mode :
       {Randomization::kPartialLabels, Randomization::kRandomLabels, Randomization::kShuffledPixels,
        Randomization::kRandomPixels, Randomization::kGaussian}) {
    const auto make = [&](uint64_t seed) {
      Dataset d = bytes_dataset(64, 8, 32, 32, 3);
      randomize(d, {.mode = mode, .corrupt_prob = 0.5, .seed = seed});
      return d;
    };
    const Dataset a = make(1), b = make(1), c = make(2);
    const std::string name(randomization_name(mode));
    EXPECT_EQ(a.train.labels.to_vector<int32_t>(), b.train.labels.to_vector<int32_t>()) << name;
    if (randomizes_labels(mode)) {
      EXPECT_NE(a.train.labels.to_vector<int32_t>(), c.train.labels.to_vector<int32_t>()) << name;
    } else if (mode == Randomization::kGaussian) {
      EXPECT_EQ(a.train.images.to_vector<float>(), b.train.images.to_vector<float>());
      EXPECT_NE(a.train.images.to_vector<float>(), c.train.images.to_vector<float>());
    } else {
      EXPECT_EQ(a.train.images.to_vector<uint8_t>(), b.train.images.to_vector<uint8_t>()) << name;
      EXPECT_NE(a.train.images.to_vector<uint8_t>(), c.train.images.to_vector<uint8_t>()) << name;
    }
  }
}

TEST(RandomizeTest, ModesParseByNameAndUnknownOnesAreUserErrorsListingThem) {
  EXPECT_EQ(parse_randomization("shuffled-pixels"), Randomization::kShuffledPixels);
  EXPECT_EQ(randomization_name(Randomization::kPartialLabels), "partial-labels");
  try {
    parse_randomization("random");
    ADD_FAILURE() << "accepted";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("random-labels"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace rethink
