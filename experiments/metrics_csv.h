// Reads a run's metrics.csv back (every column is a number), for the sweeps' reports.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace rethink {

using MetricsRow = std::map<std::string, double>;

// The rows of <run_dir>/metrics.csv; a cell that is not a number reads as NaN. UserError when
// the file is missing.
std::vector<MetricsRow> read_metrics(const std::filesystem::path& run_dir);

}  // namespace rethink
