// Plots through matplotlib: a script in tools/ run with Debian's Python (/usr/bin/python3, or
// $RETHINK_PYTHON). Where Python or matplotlib is missing, the caller gets the message to print
// instead of the plots; the CSVs stand on their own.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace rethink {

struct PlotResult {
  bool ok = false;
  std::string message;  // what was written, or why nothing was and how to get the plots
};

// Runs tools/<script> with `args`.
PlotResult run_plot_script(const std::string& script, const std::vector<std::string>& args);

// Where the tools/ scripts are: $RETHINK_TOOLS_DIR, else the source tree this was built from.
std::filesystem::path tools_dir();

}  // namespace rethink
