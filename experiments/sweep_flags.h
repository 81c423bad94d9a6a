// The flags that figure1 and table1 share: the data, the training recipe every run of the
// sweep uses, the seeds, and where the sweep writes.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "datasets/dataset.h"
#include "experiments/fit_options.h"

namespace rethink {

struct SweepFlags {
  std::string out;
  std::string data = kDefaultDataSpec;
  int64_t subset = 0;
  std::string subset_mode = "first";
  int64_t test_subset = 0;
  int64_t epochs = 100;  // per run, the cap: runs stop once they fit
  int64_t batch = 128;
  double lr = 0;  // 0: the paper's per model
  double lr_decay = 0.95;
  double fit_threshold = 1.0;
  int64_t eval_every = 1;
  int64_t eval_batch = 1000;
  std::string seeds = "1";
  int threads = 0;
  std::string device = "auto";
  std::string progress = "auto";
  bool no_plots = false;
};

void add_sweep_flags(CLI::App& app, SweepFlags& f, std::string_view default_out);

// A run of `model` with the sweep's recipe, trained until fit (at most f.epochs epochs).
FitOptions sweep_fit_options(const SweepFlags& f, const std::string& model, uint64_t seed);

// --seeds: "1,2,3" (non-negative, distinct). UserError naming the flag.
std::vector<uint64_t> parse_seeds(const std::string& text);
// "0,0.2,1": fractions in [0, 1], distinct, ascending after sorting. UserError naming `flag`.
std::vector<double> parse_fractions(const std::string& text, std::string_view flag);
// "a,b,c", each one of `allowed`. UserError naming `flag` and the choices.
std::vector<std::string> parse_names(const std::string& text, std::string_view flag,
                                     const std::vector<std::string>& allowed);

}  // namespace rethink
