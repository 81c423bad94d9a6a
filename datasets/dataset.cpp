#include "datasets/dataset.h"

#include <fmt/format.h>

#include <cstring>
#include <filesystem>

#include "datasets/readers/cifar10.h"
#include "datasets/readers/idx.h"
#include "datasets/readers/image_folder.h"
#include "datasets/synthetic.h"

namespace rethink {
namespace {

namespace fs = std::filesystem;

constexpr const char* kForms =
    "fashion-mnist, idx:DIR, cifar10:DIR, imagefolder:DIR or synthetic:N,C,H,W,K (e.g. "
    "synthetic:512,3,28,28,10)";

Split to_split(readers::RawSplit&& raw) {
  const readers::RawImages& im = raw.images;
  Split split;
  split.images = Tensor::empty(Shape{im.count, im.height, im.width, im.channels}, DType::kUInt8);
  std::memcpy(split.images.raw_data(), im.pixels.data(), im.pixels.size());
  split.labels = Tensor::from_vector(Shape{im.count}, raw.labels);
  raw = {};
  return split;
}

Dataset from_raw(readers::RawDataset&& raw, const std::string& kind, const fs::path& location) {
  Dataset d;
  d.kind = kind;
  d.location = location.string();
  d.channels = raw.train.images.channels;
  d.height = raw.train.images.height;
  d.width = raw.train.images.width;
  d.classes = raw.classes;
  d.class_names = std::move(raw.class_names);
  d.train = to_split(std::move(raw.train));
  d.test = to_split(std::move(raw.test));
  d.full_train_size = d.train.size();
  return d;
}

Dataset load_unsubset(const std::string& spec, uint64_t seed) {
  if (spec == "fashion-mnist") {
    std::error_code ec;
    if (!fs::is_directory(kFashionMnistDir, ec)) {
      throw UserError(
          fmt::format("--data fashion-mnist: {} is missing: install Debian's "
                      "dataset-fashion-mnist package (apt-get install "
                      "dataset-fashion-mnist; scripts/test and scripts/demo do) or "
                      "choose another --data: {}",
                      kFashionMnistDir, kForms));
    }
    Dataset d =
        from_raw(readers::read_idx_folder(kFashionMnistDir, 10), "fashion-mnist", kFashionMnistDir);
    d.class_names = {"t-shirt/top", "trouser", "pullover", "dress", "coat",
                     "sandal",      "shirt",   "sneaker",  "bag",   "ankle boot"};
    return d;
  }
  const auto colon = spec.find(':');
  const std::string kind = spec.substr(0, colon);
  const std::string arg = colon == std::string::npos ? "" : spec.substr(colon + 1);
  const bool folder_kind = kind == "idx" || kind == "cifar10" || kind == "imagefolder";
  if (folder_kind && arg.empty()) {
    throw UserError(fmt::format("--data '{}' names no folder: use {}:DIR", spec, kind));
  }
  if (kind == "idx") return from_raw(readers::read_idx_folder(arg), "idx", arg);
  if (kind == "cifar10") return from_raw(readers::read_cifar10_folder(arg), "cifar10", arg);
  if (kind == "imagefolder") {
    readers::ImageFolderResult r = readers::read_image_folder(arg);
    Dataset d = from_raw(std::move(r.data), "imagefolder", arg);
    d.cache_file = r.cache_file.string();
    d.from_cache = r.from_cache;
    return d;
  }
  if (kind == "synthetic" && colon != std::string::npos) {
    return make_synthetic(parse_synthetic_shape(arg), seed);
  }
  throw UserError(
      fmt::format("--data '{}' is not a data source this build knows: use {}", spec, kForms));
}

}  // namespace

Dataset load_dataset(const std::string& spec, uint64_t seed, const SubsetOptions& subset) {
  Dataset d = load_unsubset(spec, seed);
  d.spec = spec;
  apply_subset(d, subset, seed);
  return d;
}

}  // namespace rethink
