#include "experiments/run_dir.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "kernels/check.h"

namespace rethink {
namespace fs = std::filesystem;

RunDir RunDir::create(const fs::path& dir, bool overwrite) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    throw UserError(fmt::format("cannot create run directory '{}': {}; choose a writable --out",
                                dir.string(), ec.message()));
  }
  if (!overwrite && fs::exists(dir / "config.json")) {
    throw UserError(fmt::format("run directory '{}' already holds a run; choose another --out "
                                "or pass --overwrite",
                                dir.string()));
  }
  // Creating a directory can succeed where writing into it fails (read-only mounts, ACLs).
  const fs::path probe = dir / ".write-test";
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    throw UserError(fmt::format("cannot write into run directory '{}': {}; choose a writable "
                                "--out",
                                dir.string(), std::strerror(errno)));
  }
  ::close(fd);
  fs::remove(probe, ec);
  return RunDir(dir);
}

void RunDir::write_json(const std::string& file, const nlohmann::json& value) const {
  write_file_atomically(path_ / file, value.dump(2) + "\n");
}

void write_file_atomically(const fs::path& file, const std::string& content) {
  const fs::path tmp = file.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  RT_CHECK(fd >= 0, "cannot write '{}': {}", tmp.string(), std::strerror(errno));
  size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      RT_FAIL("cannot write '{}': {}", tmp.string(), std::strerror(err));
    }
    written += static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  const int sync_errno = errno;
  ::close(fd);
  RT_CHECK(synced, "cannot flush '{}': {}", tmp.string(), std::strerror(sync_errno));
  std::error_code ec;
  fs::rename(tmp, file, ec);
  RT_CHECK(!ec, "cannot rename '{}' to '{}': {}", tmp.string(), file.string(), ec.message());
}

CsvWriter::CsvWriter(const fs::path& file, std::vector<std::string> columns)
    : file_(file), columns_(std::move(columns)), out_(file, std::ios::out | std::ios::trunc) {
  RT_CHECK(out_.good(), "cannot open '{}' for writing", file.string());
  out_ << fmt::format("{}\n", fmt::join(columns_, ",")) << std::flush;
}

void CsvWriter::append(const std::vector<std::string>& row) {
  RT_CHECK(row.size() == columns_.size(), "{}: a row of {} values for {} columns", file_.string(),
           row.size(), columns_.size());
  out_ << fmt::format("{}\n", fmt::join(row, ",")) << std::flush;
  RT_CHECK(out_.good(), "cannot append to '{}' (disk full?)", file_.string());
}

}  // namespace rethink
