#include "datasets/readers/idx.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "datasets/readers/file_bytes.h"
#include "kernels/error.h"

namespace rethink::readers {
namespace {

namespace fs = std::filesystem;

constexpr const char* kRedo = "re-download or re-install it";

uint32_t big_endian32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

const char* idx_type_name(uint8_t code) {
  switch (code) {
    case 0x08:
      return "unsigned byte";
    case 0x09:
      return "signed byte";
    case 0x0B:
      return "int16";
    case 0x0C:
      return "int32";
    case 0x0D:
      return "float32";
    case 0x0E:
      return "float64";
    default:
      return nullptr;
  }
}

std::string dims_text(const std::vector<int64_t>& dims) {
  return fmt::format("{}", fmt::join(dims, " x "));
}

// The first of `names` present in `dir`, or an error listing them all.
fs::path find_one(const fs::path& dir, std::initializer_list<std::string> names) {
  for (const std::string& n : names) {
    std::error_code ec;
    if (fs::is_regular_file(dir / n, ec)) return dir / n;
  }
  throw UserError(fmt::format(
      "{}: missing (also looked for {}); an idx folder holds "
      "train-images-idx3-ubyte, train-labels-idx1-ubyte, "
      "t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each raw or .gz",
      (dir / *names.begin()).string(), fmt::join(names.begin() + 1, names.end(), ", ")));
}

fs::path idx_file(const fs::path& dir, const std::string& split, const std::string& what) {
  // MNIST's original downloads use "-idx3-ubyte"; some mirrors write ".idx3-ubyte".
  const std::string a = fmt::format("{}-{}-ubyte", split, what);
  std::string b = a;
  b[split.size() + what.find('-') + 1] = '.';
  return find_one(dir, {a, a + ".gz", b, b + ".gz"});
}

void check_labels(const RawSplit& split, int64_t classes, const std::string& labels_name,
                  const std::string& range_from) {
  for (size_t i = 0; i < split.labels.size(); ++i) {
    if (split.labels[i] >= classes) {
      throw UserError(
          fmt::format("{}: label {} of item {} is outside 0..{} ({}): the file is "
                      "corrupt or belongs to another data set",
                      labels_name, split.labels[i], i, classes - 1, range_from));
    }
  }
}

}  // namespace

IdxArray parse_idx(std::span<const uint8_t> bytes, const std::string& name) {
  if (bytes.empty()) {
    throw UserError(fmt::format("{}: the file is empty; {}", name, kRedo));
  }
  if (bytes.size() < 4 || bytes[0] != 0 || bytes[1] != 0 || idx_type_name(bytes[2]) == nullptr ||
      bytes[3] == 0 || bytes[3] > 4) {
    std::string magic;
    for (size_t i = 0; i < std::min<size_t>(bytes.size(), 4); ++i) {
      magic += fmt::format("{:02x}", bytes[i]);
    }
    throw UserError(
        fmt::format("{}: not an IDX file (magic number 0x{}, expected 0x000008 "
                    "followed by a rank of 1 to 4)",
                    name, magic));
  }
  if (bytes[2] != 0x08) {
    throw UserError(
        fmt::format("{}: IDX elements of type {} (0x{:02x}) are not supported: "
                    "rethink reads unsigned-byte images and labels (0x08)",
                    name, idx_type_name(bytes[2]), bytes[2]));
  }
  const size_t rank = bytes[3];
  const size_t header = 4 + 4 * rank;
  if (bytes.size() < header) {
    throw UserError(
        fmt::format("{}: truncated IDX header ({} bytes, the rank-{} header needs "
                    "{}); {}",
                    name, bytes.size(), rank, header, kRedo));
  }
  IdxArray a;
  uint64_t elements = 1;
  for (size_t d = 0; d < rank; ++d) {
    const uint32_t n = big_endian32(bytes.data() + 4 + 4 * d);
    a.dims.push_back(n);
    // Checked before multiplying, so that no product of forged dimensions can wrap around to
    // a small number that matches the file's size.
    if (n != 0 && elements > kMaxFileBytes / n) {
      throw UserError(
          fmt::format("{}: IDX header claims dimensions {}, more data than any file "
                      "rethink reads: the file is corrupt",
                      name, dims_text(a.dims)));
    }
    elements *= n;
  }
  const uint64_t have = bytes.size() - header;
  if (have < elements) {
    throw UserError(
        fmt::format("{}: truncated IDX file: its header promises {} bytes ({}) but "
                    "only {} follow; {}",
                    name, elements, dims_text(a.dims), have, kRedo));
  }
  if (have > elements) {
    throw UserError(
        fmt::format("{}: {} extra bytes after the {} bytes its IDX header ({}) "
                    "describes: the file is corrupt",
                    name, have - elements, elements, dims_text(a.dims)));
  }
  a.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
  return a;
}

IdxArray decode_idx(std::span<const uint8_t> bytes, const std::string& name) {
  if (is_gzip(bytes)) return parse_idx(gunzip(bytes, name), name);
  return parse_idx(bytes, name);
}

RawSplit read_idx_split(const fs::path& images_path, const fs::path& labels_path) {
  const std::string images_name = images_path.string(), labels_name = labels_path.string();
  IdxArray images = decode_idx(read_file(images_path), images_name);
  IdxArray labels = decode_idx(read_file(labels_path), labels_name);
  if (images.dims.size() != 3 && images.dims.size() != 4) {
    throw UserError(
        fmt::format("{}: an images file needs 3 dimensions [N, H, W] or 4 "
                    "[N, H, W, C], this one has {} ({}): is it a labels file?",
                    images_name, images.dims.size(), dims_text(images.dims)));
  }
  if (labels.dims.size() != 1) {
    throw UserError(
        fmt::format("{}: a labels file has 1 dimension [N], this one has {} ({}): is "
                    "it an images file?",
                    labels_name, labels.dims.size(), dims_text(labels.dims)));
  }
  if (images.dims[0] == 0) {
    throw UserError(fmt::format("{}: holds no images", images_name));
  }
  for (size_t d = 1; d < images.dims.size(); ++d) {
    if (images.dims[d] == 0) {
      throw UserError(
          fmt::format("{}: images of size {} are empty", images_name, dims_text(images.dims)));
    }
  }
  if (images.dims[0] != labels.dims[0]) {
    throw UserError(
        fmt::format("{}: holds {} labels but {} holds {} images: the two files do not "
                    "belong together",
                    labels_name, labels.dims[0], images_name, images.dims[0]));
  }
  if (images.dims[0] > INT32_MAX) {
    throw UserError(fmt::format("{}: {} images are more than rethink indexes (2^31 - 1)",
                                images_name, images.dims[0]));
  }
  RawSplit split;
  split.images.count = images.dims[0];
  split.images.height = images.dims[1];
  split.images.width = images.dims[2];
  split.images.channels = images.dims.size() == 4 ? images.dims[3] : 1;
  split.images.pixels = std::move(images.data);
  split.labels.assign(labels.data.begin(), labels.data.end());
  return split;
}

RawDataset read_idx_folder(const fs::path& dir, int64_t classes) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw UserError(
        fmt::format("{}: no such folder (an idx folder holds "
                    "train-images-idx3-ubyte[.gz] and its three companions)",
                    dir.string()));
  }
  const fs::path train_images = idx_file(dir, "train", "images-idx3");
  const fs::path train_labels = idx_file(dir, "train", "labels-idx1");
  const fs::path test_images = idx_file(dir, "t10k", "images-idx3");
  const fs::path test_labels = idx_file(dir, "t10k", "labels-idx1");
  RawDataset d;
  d.train = read_idx_split(train_images, train_labels);
  d.test = read_idx_split(test_images, test_labels);
  const RawImages& a = d.train.images;
  const RawImages& b = d.test.images;
  if (a.height != b.height || a.width != b.width || a.channels != b.channels) {
    throw UserError(
        fmt::format("{}: images of {}x{}x{} (HxWxC) but the training images in {} "
                    "are {}x{}x{}",
                    test_images.string(), b.height, b.width, b.channels, train_images.string(),
                    a.height, a.width, a.channels));
  }
  if (classes > 0) {
    check_labels(d.train, classes, train_labels.string(), "this data set's classes");
  } else {
    classes = *std::max_element(d.train.labels.begin(), d.train.labels.end()) + 1;
    if (classes < 2) {
      throw UserError(
          fmt::format("{}: every training label is 0; a classifier needs at least "
                      "two classes",
                      train_labels.string()));
    }
  }
  check_labels(d.test, classes, test_labels.string(),
               fmt::format("the classes of {}", train_labels.filename().string()));
  d.classes = classes;
  return d;
}

}  // namespace rethink::readers
