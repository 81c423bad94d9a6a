#include "datasets/synthetic.h"

#include <fmt/format.h>

#include <vector>

#include "runtime/parse_ints.h"
#include "runtime/random.h"

namespace rethink {
namespace {

constexpr const char* kForm = "synthetic:N,C,H,W,K (e.g. synthetic:512,3,28,28,10)";

Split make_split(int64_t count, const SyntheticShape& s, uint64_t seed, uint32_t split_id) {
  Split split;
  split.images = Tensor::empty(Shape{count, s.height, s.width, s.channels});  // NHWC
  fill_normal(split.images, 0.0, 1.0, PhiloxStream::make(seed, RngPurpose::kData, 0, split_id));
  const PhiloxStream label_stream = PhiloxStream::make(seed, RngPurpose::kLabels, 0, split_id);
  std::vector<int32_t> labels(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    labels[static_cast<size_t>(i)] =
        static_cast<int32_t>(label_stream.below(static_cast<uint64_t>(i),
                                                static_cast<uint32_t>(s.classes)));
  }
  split.labels = Tensor::from_vector(Shape{count}, labels);
  return split;
}

}  // namespace

SyntheticShape parse_synthetic_shape(const std::string& args) {
  const auto v = parse_int_list(args);
  if (!v || v->size() != 5) {
    throw UserError(fmt::format("--data 'synthetic:{}' is malformed: use {}", args, kForm));
  }
  const SyntheticShape s{(*v)[0], (*v)[1], (*v)[2], (*v)[3], (*v)[4]};
  if (s.count < 1 || s.channels < 1 || s.height < 1 || s.width < 1 || s.classes < 2) {
    throw UserError(fmt::format("--data 'synthetic:{}': sizes must be positive and K at least 2",
                                args));
  }
  // Divisions, not products: a product of large sizes could wrap around to a small one.
  constexpr int64_t kMaxElements = int64_t{1} << 33;
  if (s.count > INT32_MAX || s.channels > kMaxElements / s.count ||
      s.height > kMaxElements / (s.count * s.channels) ||
      s.width > kMaxElements / (s.count * s.channels * s.height)) {
    throw UserError(fmt::format("--data 'synthetic:{}' is too large to hold in memory", args));
  }
  return s;
}

Dataset make_synthetic(const SyntheticShape& s, uint64_t seed) {
  Dataset d;
  d.kind = "synthetic";
  d.train = make_split(s.count, s, seed, 0);
  d.test = make_split((s.count + 4) / 5, s, seed, 1);
  d.channels = s.channels;
  d.height = s.height;
  d.width = s.width;
  d.classes = s.classes;
  d.full_train_size = s.count;
  return d;
}

}  // namespace rethink
