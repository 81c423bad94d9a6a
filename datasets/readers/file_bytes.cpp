#include "datasets/readers/file_bytes.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "kernels/error.h"

namespace rethink::readers {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

std::vector<uint8_t> read_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw UserError(fmt::format("{}: is a folder where a data file was expected", path.string()));
  }
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    throw UserError(fmt::format("{}: cannot open it ({})", path.string(), std::strerror(errno)));
  }
  // The size stat reports is only a hint (a file may be a pipe, or change while it is read):
  // read until end of file, growing the buffer geometrically. One byte more than the hint lets
  // the first read see the end, so a small file costs one allocation and one read.
  struct stat st {};
  size_t hint = 0;
  if (::fstat(::fileno(file.get()), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    hint = static_cast<size_t>(std::min<uint64_t>(static_cast<uint64_t>(st.st_size),
                                                  kMaxFileBytes));
  }
  std::vector<uint8_t> bytes(hint > 0 ? hint + 1 : size_t{1} << 16);
  size_t used = 0;
  while (true) {
    const size_t want = bytes.size() - used;
    const size_t got = std::fread(bytes.data() + used, 1, want, file.get());
    used += got;
    if (used > kMaxFileBytes) {
      throw UserError(fmt::format("{}: larger than {} bytes, more than any data set rethink reads",
                                  path.string(), kMaxFileBytes));
    }
    if (got < want) break;
    bytes.resize(std::min<size_t>(bytes.size() * 2, kMaxFileBytes + 1));
  }
  if (std::ferror(file.get())) {
    throw UserError(fmt::format("{}: read error ({})", path.string(), std::strerror(errno)));
  }
  bytes.resize(used);  // no shrink_to_fit: that would copy a whole data file for one byte
  return bytes;
}

bool is_gzip(std::span<const uint8_t> bytes) {
  return bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

std::vector<uint8_t> gunzip(std::span<const uint8_t> bytes, const std::string& name,
                            uint64_t max_bytes) {
  z_stream zs{};
  // 16 + MAX_WBITS: gzip framing only, so that a zlib or raw deflate stream is not accepted.
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
    throw UserError(fmt::format("{}: zlib could not start inflating (out of memory?)", name));
  }
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, inflateEnd);
  std::vector<uint8_t> out;
  out.resize(std::min<uint64_t>(std::max<uint64_t>(bytes.size() * 4, 1 << 16), max_bytes));
  zs.next_in = const_cast<Bytef*>(bytes.data());
  size_t in_left = bytes.size();
  size_t produced = 0;
  while (true) {
    if (produced == out.size()) {
      if (out.size() >= max_bytes) {
        throw UserError(
            fmt::format("{}: inflates to more than {} bytes, more than any data set "
                        "rethink reads",
                        name, max_bytes));
      }
      out.resize(std::min<uint64_t>(out.size() * 2, max_bytes));
    }
    // zlib counts in uInt: feed and drain at most 1 GiB per call.
    const uInt in_chunk = static_cast<uInt>(std::min<size_t>(in_left, size_t{1} << 30));
    const uInt out_chunk =
        static_cast<uInt>(std::min<size_t>(out.size() - produced, size_t{1} << 30));
    zs.avail_in = in_chunk;
    zs.next_out = out.data() + produced;
    zs.avail_out = out_chunk;
    const int rc = inflate(&zs, Z_NO_FLUSH);
    in_left -= in_chunk - zs.avail_in;
    produced += out_chunk - zs.avail_out;
    if (rc == Z_STREAM_END) {
      // Another gzip member may follow (gzip -c a b > c writes two); anything else is garbage.
      if (in_left == 0) break;
      if (!is_gzip({zs.next_in, in_left})) {
        throw UserError(
            fmt::format("{}: {} bytes of garbage follow the gzip stream: the file is "
                        "corrupt",
                        name, in_left));
      }
      inflateReset(&zs);
      continue;
    }
    if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_STREAM_ERROR) {
      throw UserError(fmt::format("{}: corrupt gzip data ({}): re-download or re-install it", name,
                                  zs.msg != nullptr ? zs.msg : "invalid deflate stream"));
    }
    if (rc == Z_MEM_ERROR) {
      throw UserError(fmt::format("{}: out of memory while inflating it", name));
    }
    if (in_left == 0 && zs.avail_out != 0) {
      throw UserError(
          fmt::format("{}: the gzip stream is truncated (it ends after {} bytes, "
                      "before its end marker): re-download or re-install it",
                      name, bytes.size()));
    }
  }
  out.resize(produced);
  out.shrink_to_fit();
  return out;
}

std::vector<uint8_t> read_maybe_gzip(const std::filesystem::path& path) {
  std::vector<uint8_t> bytes = read_file(path);
  if (!is_gzip(bytes)) return bytes;
  return gunzip(bytes, path.string());
}

}  // namespace rethink::readers
