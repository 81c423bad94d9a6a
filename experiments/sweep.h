// Many training runs under one output directory, as figure1 and table1 need them: each run in
// <root>/runs/<key>, a completed run reused as it is, an interrupted one resumed from its
// checkpoint, and a line per run as it finishes. Ctrl-C stops the sweep after checkpointing the
// run in progress; the same command continues it.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "experiments/fit_options.h"

namespace rethink {

struct SweepRun {
  std::string key;    // "mlp1x512/random-labels/seed-1": its folder under <root>/runs
  std::string title;  // for the progress line: "mlp1x512 random labels, seed 1"
  FitOptions options;
};

struct SweepResult {
  SweepRun run;
  std::filesystem::path dir;
  nlohmann::json summary;  // the run's summary.json
  nlohmann::json config;   // the run's config.json
  bool reused = false;     // found complete, not trained now
};

struct SweepOutcome {
  std::vector<SweepResult> results;  // in the order of the runs given (complete ones only)
  bool interrupted = false;
};

// Runs (or reuses) every run. A folder that holds a run made with other settings is a UserError
// naming it and the first differing flag, raised before anything trains.
// `header` is printed once the folders are checked, before the first run.
SweepOutcome run_sweep(const std::filesystem::path& root, std::vector<SweepRun> runs,
                       const std::string& header);

// The summary's number at `key` ("final.test_accuracy" style paths), or NaN.
double summary_number(const nlohmann::json& summary, const std::string& path);

}  // namespace rethink
