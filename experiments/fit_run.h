// One training run from its settings to its run directory: `rethink fit`'s whole job, also
// used by the sweeps (figure1, table1) that run many.
//
//   <out>/config.json    every resolved setting ("flags" re-runs it with --config), the data
//                        set and randomization as realized, device, build and machine
//   <out>/metrics.csv    one row per evaluation (metrics_columns())
//   <out>/summary.json   status, final numbers, fit or not, steps and seconds to fit, memory
//   <out>/checkpoints/   the latest checkpoint (experiments/checkpoint.h)
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "datasets/randomize.h"
#include "experiments/fit_options.h"
#include "experiments/trainer.h"

namespace rethink {

enum class FitVerbosity {
  kFull,   // the header, a line per evaluation (or the bar), the closing line
  kBrief,  // a progress bar on a terminal, nothing else (the caller reports)
};

struct FitOutcome {
  int exit_code = 0;  // as `rethink fit` exits: 0, 1 (diverged), 130 (interrupted)
  RunStatus status = RunStatus::kCompleted;
  std::filesystem::path dir;
  nlohmann::json summary;  // what summary.json holds
};

// Trains (or, with o.resume, continues) one run. Every bad setting is a UserError thrown before
// training starts; a run that diverges or is interrupted returns its status and exit code.
FitOutcome run_fit(FitOptions o, FitVerbosity verbosity = FitVerbosity::kFull);

// The flags a run directory's config.json records; UserError when it has none.
nlohmann::json recorded_flags(const std::filesystem::path& run_dir);

// The randomization test the flags ask for (--randomize, --corrupt-prob, --corrupt-test,
// --seed); UserError for flags that do not go together.
RandomizeOptions randomize_options(const FitOptions& o);

// metrics.csv's columns, in order.
const std::vector<std::string>& metrics_columns();

}  // namespace rethink
