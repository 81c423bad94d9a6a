#include "experiments/sweep.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>

#include "experiments/checkpoint.h"
#include "experiments/fit_run.h"
#include "experiments/progress.h"
#include "kernels/check.h"

namespace rethink {
namespace fs = std::filesystem;
namespace {

// Flags that do not change a run's numbers; a reused run may differ in them.
bool affects_results(const std::string& key) {
  return key != "threads" && key != "device" && key != "eval-batch" && key != "checkpoint-every" &&
         key != "progress";
}

nlohmann::json read_json_or_null(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return nullptr;
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception&) {
    return nullptr;
  }
}

enum class Found { kNothing, kComplete, kResumable, kRestart };

// What the run's folder holds, checked against the settings wanted.
Found inspect(const SweepRun& run, const fs::path& dir) {
  const nlohmann::json config = read_json_or_null(dir / "config.json");
  if (config.is_null() || !config.contains("flags")) return Found::kNothing;
  const nlohmann::json wanted = flags_json(run.options);
  const nlohmann::json& saved = config["flags"];
  for (const auto& [key, value] : wanted.items()) {
    if (!affects_results(key)) continue;
    const nlohmann::json had = saved.contains(key) ? saved[key] : nlohmann::json();
    if (had != value) {
      throw UserError(fmt::format(
          "{} holds a run made with --{} {} where this sweep wants {}: remove that folder (or "
          "choose another --out) to run it again",
          dir.string(), key, had.dump(), value.dump()));
    }
  }
  const nlohmann::json summary = read_json_or_null(dir / "summary.json");
  const std::string status = summary.is_null() ? "" : summary.value("status", "");
  if (status == "completed" || status == "fit" || status == "diverged") return Found::kComplete;
  return latest_checkpoint(dir) ? Found::kResumable : Found::kRestart;
}

std::string outcome_line(const nlohmann::json& s) {
  const std::string status = s.value("status", "?");
  std::string fit = s.value("fit", false)
                        ? fmt::format("fit at step {} ({:.1f} s)", s.value("steps_to_fit", 0),
                                      s.value("train_seconds_to_fit", 0.0))
                        : fmt::format("not fit ({})", status);
  const nlohmann::json f = s.value("final", nlohmann::json::object());
  return fmt::format("{}; train {:.2f}%, test {:.2f}%", fit, 100 * f.value("train_accuracy", 0.0),
                     100 * f.value("test_accuracy", 0.0));
}

}  // namespace

double summary_number(const nlohmann::json& summary, const std::string& path) {
  const nlohmann::json* at = &summary;
  size_t begin = 0;
  while (begin <= path.size()) {
    const size_t dot = path.find('.', begin);
    const std::string part = path.substr(begin, dot == std::string::npos ? dot : dot - begin);
    if (!at->is_object() || !at->contains(part)) return std::numeric_limits<double>::quiet_NaN();
    at = &(*at)[part];
    if (dot == std::string::npos) break;
    begin = dot + 1;
  }
  return at->is_number() ? at->get<double>() : std::numeric_limits<double>::quiet_NaN();
}

SweepOutcome run_sweep(const fs::path& root, std::vector<SweepRun> runs,
                       const std::string& header) {
  // Settle every folder first, so a conflicting one is refused before anything trains.
  std::vector<Found> found;
  for (SweepRun& run : runs) {
    run.options.out = (root / "runs" / run.key).string();
    found.push_back(inspect(run, run.options.out));
  }
  fmt::print("{}\n", header);
  std::fflush(stdout);
  SweepOutcome outcome;
  const size_t total = runs.size();
  for (size_t i = 0; i < total; ++i) {
    SweepRun& run = runs[i];
    const fs::path dir = run.options.out;
    const std::string tag = fmt::format("[{}/{}] {}", i + 1, total, run.title);
    SweepResult result;
    if (found[i] == Found::kComplete) {
      result.reused = true;
    } else {
      FitOptions o = run.options;
      if (found[i] == Found::kResumable) {
        o.resume = o.out;
      } else {
        o.overwrite = true;  // a folder with a run that never reached its first checkpoint
      }
      fmt::print("{}{}\n", tag, found[i] == Found::kResumable ? ": resuming" : "");
      std::fflush(stdout);
      const FitOutcome fit = run_fit(o, FitVerbosity::kBrief);
      if (fit.exit_code == 130) {
        fmt::print("{}: interrupted; a checkpoint is in {}\n", tag, dir.string());
        outcome.interrupted = true;
        return outcome;
      }
    }
    result.run = run;
    result.dir = dir;
    result.summary = read_json_or_null(dir / "summary.json");
    result.config = read_json_or_null(dir / "config.json");
    RT_CHECK(!result.summary.is_null() && !result.config.is_null(),
             "{} has no readable summary.json or config.json", dir.string());
    fmt::print("{}: {}{}\n", tag, outcome_line(result.summary), result.reused ? " (reused)" : "");
    std::fflush(stdout);
    outcome.results.push_back(std::move(result));
  }
  return outcome;
}

}  // namespace rethink
