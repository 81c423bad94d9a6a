// The settings of one training run (`rethink fit`'s flags), their CLI11 options, and their
// JSON form: config.json's "flags", which `--config` reads back and `--resume` restores.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "datasets/dataset.h"
#include "datasets/subset.h"

namespace rethink {

struct FitOptions {
  std::string model = "mlp1x512";
  std::string data = kDefaultDataSpec;
  SubsetOptions subset;
  int64_t epochs = 20;  // the total, counting epochs before a resume
  int64_t batch = 128;
  double lr = 0;  // 0: the paper's, default_lr(model)
  std::string lr_schedule = "exponential";
  double lr_decay = 0.95;
  int64_t lr_decay_images = 0;  // 0: the full training set's size
  int64_t lr_step_epochs = 1;
  double momentum = 0.9;
  bool nesterov = false;
  double weight_decay = 0.0;
  double dropout = 0.0;
  uint64_t seed = 0;
  int threads = 0;
  std::string device = "auto";
  std::string math = "fp32";
  std::string conv_engine = "ours";
  bool until_fit = false;
  double fit_threshold = 1.0;
  int64_t eval_batch = 1000;
  int64_t eval_every = 1;
  int64_t checkpoint_every = 0;  // 0: at the end (and on Ctrl-C) only
  std::string randomize = "none";
  double corrupt_prob = -1;  // -1: not given
  bool corrupt_test = false;
  std::string augment = "none";
  std::string progress = "auto";
  bool profile = false;  // time per phase, launches, peak memory: summary.json and the end

  // Where the run goes; not training settings.
  std::string out;
  bool overwrite = false;
  std::string resume;  // a run directory to continue
  std::string config;  // the --config file the flags came from, if any
};

// The paper's initial learning rate: 0.1 for the Inception models, 0.01 for the rest.
double default_lr(std::string_view model);

// Adds every flag of `rethink fit` to `app`, bound to `o`.
void add_fit_flags(CLI::App& app, FitOptions& o);

// The resolved flags as JSON, keyed by flag name without "--" ("lr-decay"): what config.json
// records and `--config` / `--resume` read back. Unset optional flags are null.
nlohmann::json flags_json(const FitOptions& o);

// Whether a flag shapes the training trajectory, so a resumed run may not change it. Only
// --epochs, --threads, --device, --until-fit, --fit-threshold, --eval-every, --eval-batch,
// --checkpoint-every and --progress may differ on a resume.
bool fixed_on_resume(std::string_view flag);

}  // namespace rethink
