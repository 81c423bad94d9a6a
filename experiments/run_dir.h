// The directory a run writes: config.json, metrics.csv, summary.json (and later checkpoints/
// and plots/). Whole-file outputs are written atomically: to a temporary name, flushed, then
// renamed, so a crash never leaves a half-written file behind.
#pragma once

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace rethink {

class RunDir {
 public:
  // Creates `dir` and checks that it is writable; UserError naming the path and the fix when
  // it cannot be used. A directory that already holds a run (config.json) is refused unless
  // `overwrite` is set.
  static RunDir create(const std::filesystem::path& dir, bool overwrite);

  // Whether create() could make `dir` (it exists and is writable, or its nearest existing
  // ancestor is), without creating anything; the same UserError as create() when it could not.
  static void check_creatable(const std::filesystem::path& dir);

  const std::filesystem::path& path() const { return path_; }
  void write_json(const std::string& file, const nlohmann::json& value) const;

 private:
  explicit RunDir(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

// Writes `content` to `file` atomically (temporary file, flush, rename).
void write_file_atomically(const std::filesystem::path& file, const std::string& content);
// Flushes a directory's entries (a rename into it) to disk; failing to is no loss of data.
void sync_directory(const std::filesystem::path& dir);

// A CSV file that gains one flushed row at a time, so a crash loses at most the current row.
class CsvWriter {
 public:
  CsvWriter(const std::filesystem::path& file, std::vector<std::string> columns);
  // Continues an existing file whose header is `columns`, first dropping the rows whose
  // integer column `key` exceeds `max_key` (rows a run wrote after the checkpoint it resumes
  // from). A missing file starts afresh; another header is a UserError naming the file.
  static CsvWriter resume(const std::filesystem::path& file, std::vector<std::string> columns,
                          const std::string& key, int64_t max_key);
  void append(const std::vector<std::string>& row);
  const std::vector<std::string>& columns() const { return columns_; }

 private:
  struct Append {};
  CsvWriter(const std::filesystem::path& file, std::vector<std::string> columns, Append);

  std::filesystem::path file_;
  std::vector<std::string> columns_;
  std::ofstream out_;
};

}  // namespace rethink
