#include "datasets/readers/image_cache.h"

#include <fmt/format.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <memory>

#include "datasets/readers/file_bytes.h"
#include "kernels/error.h"

namespace rethink::readers {
namespace {

namespace fs = std::filesystem;

// Bump the last character when the layout changes: old caches then fail the magic check.
constexpr char kMagic[8] = {'R', 'T', 'I', 'M', 'G', 'C', '0', '1'};

uLong crc_update(uLong crc, const uint8_t* data, size_t size) {
  while (size > 0) {
    const uInt chunk = static_cast<uInt>(std::min<size_t>(size, size_t{1} << 30));
    crc = crc32(crc, data, chunk);
    data += chunk;
    size -= chunk;
  }
  return crc;
}

uint32_t crc_of(const uint8_t* data, size_t size) {
  return static_cast<uint32_t>(crc_update(crc32(0L, Z_NULL, 0), data, size));
}

// Streams to the file, computing the checksum on the way: no second copy of the pixels.
class Writer {
 public:
  explicit Writer(std::FILE* f) : f_(f) {}
  void bytes(const void* p, size_t n, bool checksummed = true) {
    if (n == 0) return;
    ok_ = ok_ && std::fwrite(p, 1, n, f_) == n;
    if (checksummed) crc_ = crc_update(crc_, static_cast<const uint8_t*>(p), n);
  }
  void u64(uint64_t v) { bytes(&v, sizeof v); }
  uint32_t crc() const { return static_cast<uint32_t>(crc_); }
  bool ok() const { return ok_; }

 private:
  std::FILE* f_;
  uLong crc_ = crc32(0L, Z_NULL, 0);
  bool ok_ = true;
};

// Bounds-checked reads; any overrun marks the cache corrupt instead of reading past the end.
class Reader {
 public:
  Reader(const uint8_t* p, size_t n) : p_(p), left_(n) {}
  bool bytes(void* to, size_t n) {
    if (n > left_) return false;
    std::memcpy(to, p_, n);
    p_ += n;
    left_ -= n;
    return true;
  }
  bool u64(uint64_t& v) { return bytes(&v, sizeof v); }
  size_t left() const { return left_; }

 private:
  const uint8_t* p_;
  size_t left_;
};

void write_split(Writer& w, const RawSplit& s) {
  w.bytes(s.labels.data(), s.labels.size() * sizeof(int32_t));
  w.bytes(s.images.pixels.data(), s.images.pixels.size());
}

bool read_split(Reader& r, RawSplit& s, uint64_t count, const RawImages& shape, int64_t classes) {
  s.images = shape;
  s.images.count = static_cast<int64_t>(count);
  // Divisions, not products: forged counts must not wrap around to a size that fits.
  const auto image_bytes = static_cast<uint64_t>(shape.image_bytes());
  if (count > r.left() / (sizeof(int32_t) + image_bytes)) return false;
  const uint64_t pixels = count * image_bytes;
  s.labels.resize(count);
  s.images.pixels.resize(pixels);
  if (!r.bytes(s.labels.data(), count * sizeof(int32_t)) ||
      !r.bytes(s.images.pixels.data(), pixels)) {
    return false;
  }
  for (const int32_t label : s.labels) {
    if (label < 0 || label >= classes) return false;
  }
  return true;
}

}  // namespace

std::optional<RawDataset> read_image_cache(const fs::path& file, uint64_t key, std::string& why) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    why = "no cache yet";
    return std::nullopt;
  }
  std::vector<uint8_t> bytes;
  try {
    bytes = read_file(file);
  } catch (const UserError& e) {
    why = e.what();
    return std::nullopt;
  }
  why = fmt::format("{} is corrupt; rebuilding it", file.string());
  if (bytes.size() < sizeof kMagic + 4 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    return std::nullopt;
  }
  const size_t body = bytes.size() - 4;
  uint32_t stored_crc = 0;
  std::memcpy(&stored_crc, bytes.data() + body, 4);
  if (crc_of(bytes.data() + sizeof kMagic, body - sizeof kMagic) != stored_crc) {
    return std::nullopt;
  }
  Reader r(bytes.data() + sizeof kMagic, body - sizeof kMagic);
  uint64_t stored_key = 0, train = 0, test = 0, h = 0, w = 0, c = 0, classes = 0;
  if (!r.u64(stored_key) || !r.u64(train) || !r.u64(test) || !r.u64(h) || !r.u64(w) || !r.u64(c) ||
      !r.u64(classes)) {
    return std::nullopt;
  }
  if (stored_key != key) {
    why = "the folder changed since the cache was written; rebuilding it";
    return std::nullopt;
  }
  constexpr uint64_t kLimit = uint64_t{1} << 32;
  if (train == 0 || test == 0 || train > kLimit || test > kLimit || h == 0 || w == 0 ||
      (c != 1 && c != 3) || h * w > kLimit || classes < 1 || classes > kLimit) {
    return std::nullopt;
  }
  RawDataset d;
  d.classes = static_cast<int64_t>(classes);
  for (uint64_t k = 0; k < classes; ++k) {
    uint64_t len = 0;
    if (!r.u64(len) || len > r.left()) return std::nullopt;
    std::string name(len, '\0');
    if (!r.bytes(name.data(), len)) return std::nullopt;
    d.class_names.push_back(std::move(name));
  }
  const RawImages shape{
      0, static_cast<int64_t>(h), static_cast<int64_t>(w), static_cast<int64_t>(c), {}};
  if (!read_split(r, d.train, train, shape, d.classes) ||
      !read_split(r, d.test, test, shape, d.classes) || r.left() != 0) {
    return std::nullopt;
  }
  why.clear();
  return d;
}

bool write_image_cache(const fs::path& file, uint64_t key, const RawDataset& d, std::string& why) {
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  const fs::path tmp = file.string() + fmt::format(".tmp{}", ::getpid());
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) {
    why = fmt::format("cannot write the cache {} ({})", tmp.string(), std::strerror(errno));
    return false;
  }
  Writer w(f);
  w.bytes(kMagic, sizeof kMagic, /*checksummed=*/false);
  const RawImages& shape = d.train.images;
  for (const uint64_t v :
       {key, static_cast<uint64_t>(d.train.images.count),
        static_cast<uint64_t>(d.test.images.count), static_cast<uint64_t>(shape.height),
        static_cast<uint64_t>(shape.width), static_cast<uint64_t>(shape.channels),
        static_cast<uint64_t>(d.classes)}) {
    w.u64(v);
  }
  for (const std::string& name : d.class_names) {
    w.u64(name.size());
    w.bytes(name.data(), name.size());
  }
  write_split(w, d.train);
  write_split(w, d.test);
  const uint32_t crc = w.crc();
  w.bytes(&crc, sizeof crc, /*checksummed=*/false);
  const bool ok = w.ok() && std::fflush(f) == 0;
  const bool closed = std::fclose(f) == 0;
  if (!ok || !closed) {
    why = fmt::format("cannot write the cache {} ({})", tmp.string(), std::strerror(errno));
    fs::remove(tmp, ec);
    return false;
  }
  fs::rename(tmp, file, ec);
  if (ec) {
    why = fmt::format("cannot rename the cache into place as {} ({})", file.string(), ec.message());
    fs::remove(tmp, ec);
    return false;
  }
  return true;
}

}  // namespace rethink::readers
