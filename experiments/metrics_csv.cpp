#include "experiments/metrics_csv.h"

#include <fmt/format.h>

#include <fstream>
#include <limits>
#include <sstream>

#include "kernels/check.h"

namespace rethink {
namespace {

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream in(line);
  std::string cell;
  while (std::getline(in, cell, ',')) cells.push_back(cell);
  return cells;
}

}  // namespace

std::vector<MetricsRow> read_metrics(const std::filesystem::path& run_dir) {
  const std::filesystem::path file = run_dir / "metrics.csv";
  std::ifstream in(file);
  if (!in) throw UserError(fmt::format("cannot open {}", file.string()));
  std::string line;
  std::getline(in, line);
  const std::vector<std::string> columns = split(line);
  std::vector<MetricsRow> rows;
  while (std::getline(in, line)) {
    const std::vector<std::string> cells = split(line);
    if (cells.size() != columns.size()) continue;
    MetricsRow row;
    for (size_t i = 0; i < cells.size(); ++i) {
      double v = std::numeric_limits<double>::quiet_NaN();
      try {
        size_t used = 0;
        v = std::stod(cells[i], &used);
        if (used != cells[i].size()) v = std::numeric_limits<double>::quiet_NaN();
      } catch (const std::exception&) {
      }
      row[columns[i]] = v;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace rethink
