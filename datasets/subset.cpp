#include "datasets/subset.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <numeric>

#include "datasets/dataset.h"
#include "runtime/random.h"

namespace rethink {
namespace {

// Row r of the result is row index[r] of `from`, for a tensor of any dtype.
Tensor take_rows(const Tensor& from, const std::vector<int32_t>& index) {
  std::vector<int64_t> dims = from.shape().dims();
  const size_t row_bytes = from.nbytes() / static_cast<size_t>(dims[0]);
  dims[0] = static_cast<int64_t>(index.size());
  Tensor to = Tensor::empty(Shape(dims), from.dtype(), from.device());
  const auto* src = static_cast<const uint8_t*>(from.raw_data());
  auto* dst = static_cast<uint8_t*>(to.raw_data());
  for (size_t r = 0; r < index.size(); ++r) {
    std::memcpy(dst + r * row_bytes, src + static_cast<size_t>(index[r]) * row_bytes, row_bytes);
  }
  return to;
}

void keep_rows(Split& split, const std::vector<int32_t>& index) {
  split.images = take_rows(split.images, index);
  split.labels = take_rows(split.labels, index);
}

std::vector<int32_t> first_n(int64_t n) {
  std::vector<int32_t> index(static_cast<size_t>(n));
  std::iota(index.begin(), index.end(), 0);
  return index;
}

int64_t classes_present(std::span<const int32_t> labels, int64_t classes) {
  std::vector<bool> seen(static_cast<size_t>(classes), false);
  for (const int32_t label : labels) seen[static_cast<size_t>(label)] = true;
  return std::count(seen.begin(), seen.end(), true);
}

// An image folder is read class by class, so its first N images may be one class: a run on
// them fits in a few steps, or tests on a few classes, for the wrong reason. Said, not
// refused, since --subset N and --test-subset M mean the first N and M.
void note_missing_classes(const Dataset& data, std::span<const int32_t> all, int64_t count,
                          const char* split, const char* fix) {
  const int64_t in_all = classes_present(all, data.classes);
  const int64_t in_subset = classes_present(all.first(static_cast<size_t>(count)), data.classes);
  if (in_subset == in_all) return;
  fmt::print(stderr,
             "rethink: note: the first {} {} images of --data '{}' hold {} of its {} classes "
             "(the data is ordered by class); {}\n",
             count, split, data.spec, in_subset, in_all, fix);
}

}  // namespace

std::vector<int32_t> subset_indices(std::span<const int32_t> labels, int64_t classes, int64_t count,
                                    const std::string& mode, uint64_t seed) {
  const auto size = static_cast<int64_t>(labels.size());
  if (mode != "first" && mode != "balanced") {
    throw UserError(fmt::format("--subset-mode '{}' is not a mode: use first or balanced", mode));
  }
  if (count < 1 || count > size) {
    throw UserError(
        fmt::format("--subset {} is not between 1 and the training set's {} images", count, size));
  }
  if (mode == "first") return first_n(count);

  std::vector<int64_t> available(static_cast<size_t>(classes), 0);
  for (const int32_t label : labels) ++available[static_cast<size_t>(label)];
  // Which classes get one image more than count / classes: a seeded pick, not always the
  // lowest class ids.
  const std::vector<int32_t> class_order =
      random_permutation(classes, PhiloxStream::make(seed, RngPurpose::kData, 1, 1));
  std::vector<int64_t> quota(static_cast<size_t>(classes), count / classes);
  for (int64_t k = 0; k < count % classes; ++k) ++quota[static_cast<size_t>(class_order[k])];
  for (int64_t c = 0; c < classes; ++c) {
    if (available[static_cast<size_t>(c)] < quota[static_cast<size_t>(c)]) {
      throw UserError(
          fmt::format("--subset {} --subset-mode balanced takes {} images of class {}, "
                      "but the training set has only {}: use a smaller --subset or "
                      "--subset-mode first",
                      count, quota[static_cast<size_t>(c)], c, available[static_cast<size_t>(c)]));
    }
  }
  std::vector<int32_t> picked;
  picked.reserve(static_cast<size_t>(count));
  for (const int32_t i : random_permutation(size, PhiloxStream::make(seed, RngPurpose::kData, 1))) {
    int64_t& left = quota[static_cast<size_t>(labels[static_cast<size_t>(i)])];
    if (left > 0) {
      --left;
      picked.push_back(i);
    }
  }
  std::sort(picked.begin(), picked.end());
  return picked;
}

void apply_subset(Dataset& data, const SubsetOptions& options, uint64_t seed) {
  if (options.mode != "first" && options.mode != "balanced") {
    throw UserError(
        fmt::format("--subset-mode '{}' is not a mode: use first or balanced", options.mode));
  }
  if (options.train < 0 || options.test < 0) {
    throw UserError("--subset and --test-subset must not be negative (0 keeps the whole split)");
  }
  if (options.train > 0 && options.train > data.train.size()) {
    throw UserError(fmt::format("--subset {} is more than the {} training images of --data '{}'",
                                options.train, data.train.size(), data.spec));
  }
  if (options.test > data.test.size()) {
    throw UserError(fmt::format("--test-subset {} is more than the {} test images of --data '{}'",
                                options.test, data.test.size(), data.spec));
  }
  if (options.train > 0 && (options.train < data.train.size() || options.mode == "balanced")) {
    const std::vector<int32_t> labels = data.train.labels.to_vector<int32_t>();
    if (options.mode == "first") {
      note_missing_classes(data, labels, options.train, "training",
                           "--subset-mode balanced takes images from every class");
    }
    keep_rows(data.train, subset_indices(labels, data.classes, options.train, options.mode, seed));
  }
  if (options.test > 0 && options.test < data.test.size()) {
    note_missing_classes(data, data.test.labels.to_vector<int32_t>(), options.test, "test",
                         "leave out --test-subset to test on every class");
    keep_rows(data.test, first_n(options.test));
  }
}

}  // namespace rethink
