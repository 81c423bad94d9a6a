// rethink fit: one training run, written to a run directory (experiments/fit_run.h), with its
// flags from the command line, a --config file, or (--resume) the run being continued.
#include <memory>

#include "experiments/commands/registry.h"
#include "experiments/fit_options.h"
#include "experiments/fit_run.h"
#include "experiments/flag_file.h"

namespace rethink::cli {
namespace {

int run_fit_command(CLI::App& sub, FitOptions& o) {
  std::set<std::string> given = given_flags(sub);
  if (!o.config.empty()) {
    const nlohmann::json values = read_flag_file(o.config);
    apply_flag_values(sub, values, "--config " + o.config, given);
    for (const auto& [key, value] : values.items()) given.insert(flag_key(key));
  }
  if (!o.resume.empty()) {
    // The run's own settings, under whatever the user gave (run_fit refuses changed ones).
    apply_flag_values(sub, recorded_flags(o.resume), o.resume + "/config.json", given);
  }
  return run_fit(o).exit_code;
}

}  // namespace

Command add_fit_command(CLI::App& app) {
  auto o = std::make_shared<FitOptions>();
  CLI::App* sub = app.add_subcommand("fit", "Train a model with SGD and record the run");
  add_fit_flags(*sub, *o);
  return {sub, [o, sub] { return run_fit_command(*sub, *o); }};
}

}  // namespace rethink::cli
