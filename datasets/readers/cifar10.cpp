#include "datasets/readers/cifar10.h"

#include <fmt/format.h>

#include "datasets/readers/file_bytes.h"
#include "kernels/error.h"

namespace rethink::readers {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kPlane = kCifarSide * kCifarSide;

void append(RawSplit& to, RawSplit&& from) {
  to.images.pixels.insert(to.images.pixels.end(), from.images.pixels.begin(),
                          from.images.pixels.end());
  to.labels.insert(to.labels.end(), from.labels.begin(), from.labels.end());
  to.images.count += from.images.count;
}

RawSplit read_batch(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    throw UserError(
        fmt::format("{}: missing; a cifar10 folder holds data_batch_1.bin .. "
                    "data_batch_5.bin and test_batch.bin (CIFAR-10's binary version)",
                    path.string()));
  }
  return parse_cifar10_batch(read_file(path), path.string());
}

}  // namespace

RawSplit parse_cifar10_batch(std::span<const uint8_t> bytes, const std::string& name) {
  const auto size = static_cast<int64_t>(bytes.size());
  if (size == 0) {
    throw UserError(fmt::format("{}: the file is empty; re-download it", name));
  }
  if (size % kCifarRecordBytes != 0) {
    throw UserError(
        fmt::format("{}: {} bytes is not a whole number of {}-byte CIFAR-10 records "
                    "(1 label byte + 32x32x3 pixels): the file is truncated or is not "
                    "a CIFAR-10 binary batch",
                    name, size, kCifarRecordBytes));
  }
  RawSplit split;
  const int64_t n = size / kCifarRecordBytes;
  split.images = {n, kCifarSide, kCifarSide, kCifarChannels, {}};
  split.images.pixels.resize(static_cast<size_t>(n * kPlane * kCifarChannels));
  split.labels.resize(static_cast<size_t>(n));
  for (int64_t r = 0; r < n; ++r) {
    const uint8_t* record = bytes.data() + r * kCifarRecordBytes;
    if (record[0] >= kCifarClasses) {
      throw UserError(
          fmt::format("{}: record {} has label {}, outside 0..9: the file is corrupt "
                      "or not CIFAR-10 (CIFAR-100's records have two label bytes)",
                      name, r, record[0]));
    }
    split.labels[static_cast<size_t>(r)] = record[0];
    uint8_t* out = split.images.pixels.data() + r * kPlane * kCifarChannels;
    for (int64_t p = 0; p < kPlane; ++p) {
      for (int64_t c = 0; c < kCifarChannels; ++c) {
        out[p * kCifarChannels + c] = record[1 + c * kPlane + p];
      }
    }
  }
  return split;
}

RawDataset read_cifar10_folder(const fs::path& given) {
  std::error_code ec;
  if (!fs::is_directory(given, ec)) {
    throw UserError(
        fmt::format("{}: no such folder (a cifar10 folder holds data_batch_1.bin .. "
                    "data_batch_5.bin and test_batch.bin)",
                    given.string()));
  }
  fs::path dir = given;
  if (!fs::exists(dir / "data_batch_1.bin", ec) &&
      fs::is_directory(dir / "cifar-10-batches-bin", ec)) {
    dir /= "cifar-10-batches-bin";
  }
  RawDataset d;
  d.train.images = {0, kCifarSide, kCifarSide, kCifarChannels, {}};
  for (int b = 1; b <= 5; ++b) {
    append(d.train, read_batch(dir / fmt::format("data_batch_{}.bin", b)));
  }
  d.test = read_batch(dir / "test_batch.bin");
  d.classes = kCifarClasses;
  d.class_names = {"airplane", "automobile", "bird",  "cat",  "deer",
                   "dog",      "frog",       "horse", "ship", "truck"};
  return d;
}

}  // namespace rethink::readers
