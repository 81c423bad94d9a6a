#include "experiments/sweep_flags.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "experiments/validators.h"
#include "kernels/check.h"
#include "runtime/parse_ints.h"

namespace rethink {
namespace {

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, ',')) parts.push_back(part);
  if (!text.empty() && text.back() == ',') parts.emplace_back();
  return parts;
}

}  // namespace

void add_sweep_flags(CLI::App& app, SweepFlags& f, std::string_view default_out) {
  using cli::fraction;
  using cli::non_negative;
  using cli::positive;
  f.out = std::string(default_out);
  app.add_option("--out", f.out,
                 "Output directory (runs/, CSVs, plots/, report.md); completed "
                 "runs in it are reused")
      ->capture_default_str();
  app.add_option("--data", f.data, "Data source, as rethink fit takes it")->capture_default_str();
  app.add_option("--subset", f.subset, "Train on N training images (0: all)")
      ->check(non_negative())
      ->capture_default_str();
  app.add_option("--subset-mode", f.subset_mode, "first or balanced")
      ->check(CLI::IsMember({"first", "balanced"}))
      ->capture_default_str();
  app.add_option("--test-subset", f.test_subset, "Test on the first M test images (0: all)")
      ->check(non_negative())
      ->capture_default_str();
  app.add_option("--epochs", f.epochs, "At most this many epochs per run (each stops once fit)")
      ->check(positive())
      ->capture_default_str();
  app.add_option("--batch", f.batch, "Minibatch size")->check(positive())->capture_default_str();
  app.add_option("--lr", f.lr,
                 "Initial learning rate [default: the paper's, 0.1 for inception*, 0.01 "
                 "otherwise]")
      ->check(positive());
  app.add_option("--lr-decay", f.lr_decay, "Learning-rate factor per full-size epoch")
      ->check(fraction())
      ->capture_default_str();
  app.add_option("--fit-threshold", f.fit_threshold,
                 "Training accuracy that counts as fit (eval mode, whole training split)")
      ->check(fraction())
      ->capture_default_str();
  app.add_option("--eval-every", f.eval_every, "Evaluate every N epochs")
      ->check(positive())
      ->capture_default_str();
  app.add_option("--eval-batch", f.eval_batch, "Batch size of evaluation passes")
      ->check(positive())
      ->capture_default_str();
  app.add_option("--seeds", f.seeds, "Seeds: each point is run once per seed (mean and std)")
      ->capture_default_str();
  app.add_option("--threads", f.threads, "CPU threads (0: all cores)")
      ->check(non_negative())
      ->capture_default_str();
  app.add_option("--device", f.device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  app.add_option("--progress", f.progress, "auto, bar, lines or quiet")
      ->check(CLI::IsMember({"auto", "bar", "lines", "quiet"}))
      ->capture_default_str();
  app.add_flag("--no-plots", f.no_plots, "Write the CSVs and the report, no PNG plots");
}

FitOptions sweep_fit_options(const SweepFlags& f, const std::string& model, uint64_t seed) {
  FitOptions o;
  o.model = model;
  o.data = f.data;
  o.subset.train = f.subset;
  o.subset.mode = f.subset_mode;
  o.subset.test = f.test_subset;
  o.epochs = f.epochs;
  o.batch = f.batch;
  o.lr = f.lr > 0 ? f.lr : default_lr(model);
  o.lr_decay = f.lr_decay;
  o.seed = seed;
  o.threads = f.threads;
  o.device = f.device;
  o.until_fit = true;
  o.fit_threshold = f.fit_threshold;
  o.eval_every = f.eval_every;
  o.eval_batch = f.eval_batch;
  o.progress = f.progress;
  return o;
}

std::vector<uint64_t> parse_seeds(const std::string& text) {
  const auto values = parse_int_list(text);
  if (!values || values->empty()) {
    throw UserError(fmt::format("--seeds '{}': use comma-separated seeds, e.g. 1,2,3", text));
  }
  std::set<int64_t> seen;
  std::vector<uint64_t> seeds;
  for (int64_t v : *values) {
    if (v < 0 || !seen.insert(v).second) {
      throw UserError(fmt::format("--seeds '{}': seeds must be distinct and not negative", text));
    }
    seeds.push_back(static_cast<uint64_t>(v));
  }
  return seeds;
}

std::vector<double> parse_fractions(const std::string& text, std::string_view flag) {
  std::vector<double> out;
  for (const std::string& part : split_commas(text)) {
    double v = -1;
    size_t used = 0;
    try {
      v = std::stod(part, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (part.empty() || used != part.size() || !(v >= 0 && v <= 1)) {
      throw UserError(
          fmt::format("{} '{}': '{}' is not a probability in [0, 1]; use e.g. "
                      "0,0.2,0.4,0.6,0.8,1",
                      flag, text, part));
    }
    out.push_back(v);
  }
  std::sort(out.begin(), out.end());
  if (out.empty() || std::adjacent_find(out.begin(), out.end()) != out.end()) {
    throw UserError(fmt::format("{} '{}': give distinct values, e.g. 0,0.5,1", flag, text));
  }
  return out;
}

std::vector<std::string> parse_names(const std::string& text, std::string_view flag,
                                     const std::vector<std::string>& allowed) {
  std::vector<std::string> out;
  for (const std::string& part : split_commas(text)) {
    if (std::find(allowed.begin(), allowed.end(), part) == allowed.end()) {
      throw UserError(fmt::format("{} '{}': '{}' is not one of {}", flag, text, part,
                                  fmt::join(allowed, ", ")));
    }
    if (std::find(out.begin(), out.end(), part) == out.end()) out.push_back(part);
  }
  if (out.empty()) throw UserError(fmt::format("{}: give at least one name", flag));
  return out;
}

}  // namespace rethink
