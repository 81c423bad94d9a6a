// Training on part of a data set: --subset N (the first N training images, or a seeded
// class-balanced pick of N) and --test-subset M (the first M test images). The learning-rate
// schedule still counts epochs of the full training set (Dataset::full_train_size).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace rethink {

struct Dataset;

struct SubsetOptions {
  int64_t train = 0;           // 0: the whole training split
  std::string mode = "first";  // "first" or "balanced"
  int64_t test = 0;            // 0: the whole test split
};

// The training images a subset keeps, in ascending order.
//   first     0 .. count - 1
//   balanced  count / classes images of every class (the first count % classes classes in a
//             seeded order get one more), each class's picked uniformly from a permutation
//             keyed by (seed, RngPurpose::kData, step 1): the same seed picks the same images.
// A count above the split's size, or a class too small for its share, is a UserError.
std::vector<int32_t> subset_indices(std::span<const int32_t> labels, int64_t classes, int64_t count,
                                    const std::string& mode, uint64_t seed);

// Cuts `data` down in place as `options` say; full_train_size is left as it was.
void apply_subset(Dataset& data, const SubsetOptions& options, uint64_t seed);

}  // namespace rethink
