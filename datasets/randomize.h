// The paper's randomization tests (PAPER.md section 3), applied once to a loaded data set before
// training and kept fixed: every draw is keyed by (seed, purpose, split, index), so the same
// seed rebuilds the same data set bit for bit, as a resumed run needs.
//
//   partial-labels  each training label, independently with probability p, redrawn uniformly
//                   (it may come out equal: the changed fraction is (1 - 1/K) p)
//   random-labels   p = 1: i.i.d. uniform labels, not a permutation of the true ones
//   shuffled-pixels one permutation of the spatial positions (channels move together), the
//                   same for every training and test image
//   random-pixels   an independent permutation per image (test images get their own)
//   gaussian        i.i.d. N(mean_c, var_c) pixels, the training set's per-channel moments on
//                   the [0, 1] scale, stored as float32 (train and test)
//
// Pixel randomizations act on the center crop (kCropSize), so their data set is stored cropped.
// Labels are corrupted in the training split only, unless corrupt_test.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "datasets/batch_loader.h"
#include "datasets/dataset.h"
#include "runtime/random.h"

namespace rethink {

enum class Randomization {
  kNone,
  kPartialLabels,
  kRandomLabels,
  kShuffledPixels,
  kRandomPixels,
  kGaussian,
};

// UserError naming the text and the modes.
Randomization parse_randomization(std::string_view text);
std::string_view randomization_name(Randomization mode);
bool randomizes_labels(Randomization mode);

struct RandomizeOptions {
  Randomization mode = Randomization::kNone;
  double corrupt_prob = 0;    // partial-labels only
  bool corrupt_test = false;  // label modes only: corrupt the test labels the same way
  uint64_t seed = 0;
  int64_t crop = kCropSize;
};

struct LabelCorruption {
  int64_t size = 0;     // labels in the split
  int64_t redrawn = 0;  // drawn anew (each with probability p)
  int64_t changed = 0;  // ... and now different from the original
};

struct ChannelMoments {
  std::vector<double> mean;    // per channel, on the [0, 1] scale for uint8 images
  std::vector<double> stddev;  // population standard deviation
};

// What was realized, for the run's config.json.
struct RandomizeReport {
  Randomization mode = Randomization::kNone;
  double corrupt_prob = 0;  // the p used (1 for random-labels)
  bool corrupt_test = false;
  uint64_t seed = 0;
  LabelCorruption train_labels;  // size 0 when the split's labels were left alone
  LabelCorruption test_labels;
  int64_t cropped_from_h = 0, cropped_from_w = 0;  // 0: no crop was needed
  ChannelMoments gaussian;                         // gaussian only
  std::vector<int32_t> pixel_permutation;          // shuffled-pixels only
};

// Applies options.mode to `data` in place (new tensors; the old ones are not written).
RandomizeReport randomize(Dataset& data, const RandomizeOptions& options);

// The building blocks, on host tensors.

// The label stream of a split (0 train, 1 test).
PhiloxStream label_stream(uint64_t seed, uint32_t split);
// Label i is redrawn iff the 53-bit uniform of block i is below p; its new class comes from the
// block's third word.
Tensor corrupt_labels(const Tensor& labels, double p, int64_t classes, const PhiloxStream& stream,
                      LabelCorruption* report = nullptr);

// [N, H, W, C] -> [N, out_h, out_w, C], the window at ((H - out_h) / 2, (W - out_w) / 2).
Tensor center_crop(const Tensor& images, int64_t out_h, int64_t out_w);

// The shuffled-pixels permutation of H * W positions, and image i's random-pixels permutation
// in split s.
std::vector<int32_t> shuffled_pixels_permutation(int64_t positions, uint64_t seed);
std::vector<int32_t> random_pixels_permutation(int64_t positions, uint64_t seed, uint32_t split,
                                               int64_t image);
// Pixel (position) p of every output image is pixel permutation[p] of its input image.
Tensor permute_pixels(const Tensor& images, const std::vector<int32_t>& permutation);
Tensor permute_pixels_per_image(const Tensor& images, uint64_t seed, uint32_t split);

ChannelMoments channel_moments(const Tensor& images);
// float32 [count, h, w, C] with element i drawn N(mean_c, stddev_c^2) from normal(i) of the
// (seed, pixels, gaussian, split) stream.
Tensor gaussian_images(int64_t count, int64_t h, int64_t w, const ChannelMoments& moments,
                       uint64_t seed, uint32_t split);

}  // namespace rethink
