#include "experiments/run_dir.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
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
    throw UserError(
        fmt::format("run directory '{}' already holds a run; choose another --out "
                    "or pass --overwrite",
                    dir.string()));
  }
  // Creating a directory can succeed where writing into it fails (read-only mounts, ACLs).
  const fs::path probe = dir / ".write-test";
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    throw UserError(
        fmt::format("cannot write into run directory '{}': {}; choose a writable "
                    "--out",
                    dir.string(), std::strerror(errno)));
  }
  ::close(fd);
  fs::remove(probe, ec);
  return RunDir(dir);
}

void RunDir::check_creatable(const fs::path& dir) {
  fs::path at = fs::absolute(dir);
  std::error_code ec;
  while (!fs::exists(at, ec) && at.has_parent_path() && at.parent_path() != at) {
    at = at.parent_path();
  }
  if (!fs::is_directory(at, ec)) {
    throw UserError(
        fmt::format("cannot create run directory '{}': '{}' is not a directory; "
                    "choose a writable --out",
                    dir.string(), at.string()));
  }
  if (::access(at.c_str(), W_OK | X_OK) != 0) {
    throw UserError(
        fmt::format("cannot create run directory '{}': {} ('{}'); choose a writable "
                    "--out",
                    dir.string(), std::strerror(errno), at.string()));
  }
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

void sync_directory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

CsvWriter::CsvWriter(const fs::path& file, std::vector<std::string> columns)
    : file_(file), columns_(std::move(columns)), out_(file, std::ios::out | std::ios::trunc) {
  RT_CHECK(out_.good(), "cannot open '{}' for writing", file.string());
  out_ << fmt::format("{}\n", fmt::join(columns_, ",")) << std::flush;
}

CsvWriter::CsvWriter(const fs::path& file, std::vector<std::string> columns, Append)
    : file_(file), columns_(std::move(columns)), out_(file, std::ios::out | std::ios::app) {
  RT_CHECK(out_.good(), "cannot open '{}' for appending", file.string());
}

CsvWriter CsvWriter::resume(const fs::path& file, std::vector<std::string> columns,
                            const std::string& key, int64_t max_key) {
  std::ifstream in(file);
  if (!in) return CsvWriter(file, std::move(columns));
  const std::string header = fmt::format("{}", fmt::join(columns, ","));
  std::string line;
  std::getline(in, line);
  if (line != header) {
    throw UserError(
        fmt::format("{} has the columns '{}', not '{}': it was written by another "
                    "version; move it away to resume",
                    file.string(), line, header));
  }
  const size_t key_index =
      static_cast<size_t>(std::find(columns.begin(), columns.end(), key) - columns.begin());
  RT_CHECK(key_index < columns.size(), "no column '{}' in {}", key, file.string());
  std::string kept = header + "\n";
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    size_t begin = 0;
    for (size_t comma; (comma = line.find(',', begin)) != std::string::npos; begin = comma + 1) {
      cells.push_back(line.substr(begin, comma - begin));
    }
    cells.push_back(line.substr(begin));
    if (cells.size() != columns.size()) continue;  // a row cut short by a crash
    int64_t value = 0;
    try {
      value = std::stoll(cells[key_index]);
    } catch (const std::exception&) {
      continue;
    }
    if (value <= max_key) kept += line + "\n";
  }
  in.close();
  write_file_atomically(file, kept);
  return CsvWriter(file, std::move(columns), Append{});
}

void CsvWriter::append(const std::vector<std::string>& row) {
  RT_CHECK(row.size() == columns_.size(), "{}: a row of {} values for {} columns", file_.string(),
           row.size(), columns_.size());
  out_ << fmt::format("{}\n", fmt::join(row, ",")) << std::flush;
  RT_CHECK(out_.good(), "cannot append to '{}' (disk full?)", file_.string());
}

}  // namespace rethink
