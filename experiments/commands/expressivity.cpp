// rethink expressivity: Theorem 1 on real data. Builds the two-layer ReLU network with 2n + d
// weights that fits n training points (true or random labels) exactly, then checks the fit by
// running the network itself on every point.
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>

#include "datasets/dataset.h"
#include "datasets/design_matrix.h"
#include "datasets/randomize.h"
#include "experiments/commands/registry.h"
#include "experiments/format.h"
#include "experiments/run_dir.h"
#include "experiments/system_info.h"
#include "experiments/theorem1.h"
#include "experiments/validators.h"
#include "kernels/error.h"
#include "runtime/threads.h"

namespace rethink::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct ExpressivityOptions {
  std::string data = kDefaultDataSpec;
  SubsetOptions subset;
  std::string labels = "random";
  uint64_t seed = 0;
  int threads = 0;
  std::string thresholds = "near-previous";
  bool allow_conflicts = false;
  std::string out;
  bool overwrite = false;
};

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

Tensor gather_rows(const Tensor& x, const std::vector<int64_t>& rows) {
  const int64_t d = x.size(1);
  Tensor out = Tensor::empty(Shape{static_cast<int64_t>(rows.size()), d}, x.dtype());
  const double* src = x.data<double>();
  double* dst = out.data<double>();
  for (size_t i = 0; i < rows.size(); ++i) {
    std::copy_n(src + rows[i] * d, d, dst + static_cast<int64_t>(i) * d);
  }
  return out;
}

Tensor targets_of(const Tensor& labels, const std::vector<int64_t>& rows) {
  const int32_t* y = labels.data<int32_t>();
  Tensor out = Tensor::empty(Shape{static_cast<int64_t>(rows.size())}, DType::kFloat64);
  double* t = out.data<double>();
  for (size_t i = 0; i < rows.size(); ++i) t[i] = y[rows[i]];
  return out;
}

// Rounded down, so that 59,998 of 60,000 never reads as 100.00%.
std::string percent_floor(int64_t part, int64_t whole) {
  const double p = std::floor(10000.0 * static_cast<double>(part) / static_cast<double>(whole));
  return fmt::format("{:.2f}%", p / 100);
}

double l2_norm(const Tensor& t) {
  double sum = 0;
  for (const double v : t.to_vector<double>()) sum += v * v;
  return std::sqrt(sum);
}

double max_abs(const Tensor& t) {
  double m = 0;
  for (const double v : t.to_vector<double>()) m = std::max(m, std::abs(v));
  return m;
}

int run_expressivity(const ExpressivityOptions& o) {
  const int threads = set_thread_count(o.threads);
  if (o.labels != "true" && o.labels != "random") {
    throw UserError(fmt::format("--labels {}: use true or random", o.labels));
  }
  Dataset data = load_dataset(o.data, o.seed, o.subset);
  Tensor labels = data.train.labels;
  if (o.labels == "random") {
    labels = corrupt_labels(labels, 1.0, data.classes, label_stream(o.seed, 0));
  }
  const Tensor points = design_matrix(data.train);
  const int64_t n = points.size(0), d = points.size(1);
  const RepeatedPoints repeats = find_repeated_points(points, labels);
  if (!repeats.conflicts.empty() && !o.allow_conflicts) {
    const auto [kept, repeat] = repeats.conflicts.front();
    throw UserError(fmt::format(
        "{} training points repeat an earlier point with a different label (e.g. point {} "
        "equals point {} but has label {}, not {}): no function fits both. Pass "
        "--allow-conflicts to fit the distinct points anyway and count these as misses",
        repeats.conflicts.size(), repeat, kept, labels.data<int32_t>()[repeat],
        labels.data<int32_t>()[kept]));
  }

  const std::string out =
      o.out.empty() ? fmt::format("runs/expressivity-{}", utc_time_string("%Y%m%d-%H%M%S")) : o.out;
  const RunDir run = RunDir::create(out, o.overwrite);
  fmt::print("rethink expressivity: Theorem 1 on {}, n = {} points in d = {} dimensions, {} "
             "labels (seed {}), {} threads\n",
             data.spec, with_thousands(n), with_thousands(d), o.labels, o.seed, threads);
  fmt::print("  repeated points: {} with the same label, {} with a different one\n",
             repeats.same_label_repeats, repeats.conflicts.size());
  auto t0 = Clock::now();
  const Theorem1Build build =
      build_theorem1_network(gather_rows(points, repeats.keep), targets_of(labels, repeats.keep),
                             o.seed, parse_threshold_rule(o.thresholds));
  const double solve_seconds = seconds_since(t0);
  const TwoLayerReluNetwork& net = build.network;
  const int64_t units = net.weights.numel();
  fmt::print("  network: {} weights counted from its tensors (a: {}, b: {}, w: {}); 2n + d = {} "
             "for the n = {} distinct points\n",
             with_thousands(net.weight_count()), with_thousands(net.direction.numel()),
             with_thousands(net.thresholds.numel()), with_thousands(units),
             with_thousands(2 * units + d), with_thousands(units));
  fmt::print("  solved in {:.3f} s (O(n) recurrence; {} direction(s) drawn); smallest gap between "
             "projections {:.3g}\n",
             solve_seconds, build.directions_drawn, build.smallest_gap);

  fmt::print("  checking: running the network on all {} points ({} hidden units each)...\n",
             with_thousands(n), with_thousands(units));
  std::fflush(stdout);
  t0 = Clock::now();
  const Tensor outputs = net.evaluate(points);
  const double check_seconds = seconds_since(t0);
  const double* c = outputs.data<double>();
  const int32_t* y = labels.data<int32_t>();
  double max_error = 0;
  int64_t correct = 0;
  for (int64_t i = 0; i < n; ++i) {
    max_error = std::max(max_error, std::abs(c[i] - y[i]));
    correct += std::llround(c[i]) == y[i];
  }
  const double accuracy = static_cast<double>(correct) / static_cast<double>(n);
  fmt::print("  max |c(z_i) - y_i| = {:.3g}; rounded fit {} / {} = {} ({:.2f} s)\n", max_error,
             with_thousands(correct), with_thousands(n), percent_floor(correct, n), check_seconds);
  fmt::print("  ||w||_2 = {:.4g}, max |w| = {:.4g}, ||a||_2 = {:.4g}; Lemma 1's smallest "
             "eigenvalue min(x_i - b_i) = {:.3g}\n",
             l2_norm(net.weights), max_abs(net.weights), l2_norm(net.direction),
             build.smallest_margin);

  run.write_json("config.json",
                 {{"command", "expressivity"},
                  {"settings",
                   {{"data", o.data},
                    {"subset", o.subset.train},
                    {"subset_mode", o.subset.mode},
                    {"labels", o.labels},
                    {"seed", o.seed},
                    {"threads", threads},
                    {"thresholds", o.thresholds},
                    {"allow_conflicts", o.allow_conflicts}}},
                  {"points", "training images as pixel vectors, x / 255, no crop or whitening"},
                  {"construction",
                   "a ~ N(0, I) from Philox (seed, init); b_1 = x_1 - 1, b_j between x_{j-1} "
                   "and x_j by --thresholds; w by the O(n) recurrence; float64"},
                  {"system", system_info()}});
  run.write_json("summary.json", {{"n", n},
                                  {"d", d},
                                  {"distinct_points", units},
                                  {"same_label_repeats", repeats.same_label_repeats},
                                  {"conflicting_repeats", repeats.conflicts.size()},
                                  {"weights", net.weight_count()},
                                  {"two_n_plus_d", 2 * units + d},
                                  {"directions_drawn", build.directions_drawn},
                                  {"smallest_gap", build.smallest_gap},
                                  {"smallest_margin", build.smallest_margin},
                                  {"max_abs_error", max_error},
                                  {"rounded_correct", correct},
                                  {"rounded_accuracy", accuracy},
                                  {"w_l2_norm", l2_norm(net.weights)},
                                  {"w_max_abs", max_abs(net.weights)},
                                  {"a_l2_norm", l2_norm(net.direction)},
                                  {"solve_seconds", solve_seconds},
                                  {"check_seconds", check_seconds}});
  fmt::print("wrote {}\n", run.path().string());
  return accuracy == 1.0 || o.allow_conflicts ? kExitOk : kExitFailure;
}

}  // namespace

Command add_expressivity_command(CLI::App& app) {
  auto o = std::make_shared<ExpressivityOptions>();
  CLI::App* sub = app.add_subcommand(
      "expressivity",
      "Theorem 1: build the 2n + d weight two-layer ReLU network that fits n points exactly");
  sub->add_option("--data", o->data,
                  "Data source (as for fit): fashion-mnist, idx:DIR, cifar10:DIR, "
                  "imagefolder:DIR or synthetic:N,C,H,W,K (Gaussian points)")
      ->capture_default_str();
  sub->add_option("--subset", o->subset.train, "Use N training points (0: all of them)")
      ->check(non_negative())
      ->capture_default_str();
  sub->add_option("--subset-mode", o->subset.mode, "first or balanced (as for fit)")
      ->check(CLI::IsMember({"first", "balanced"}))
      ->capture_default_str();
  sub->add_option("--labels", o->labels, "true or random (i.i.d. uniform, from --seed)")
      ->check(CLI::IsMember({"true", "random"}))
      ->capture_default_str();
  sub->add_option("--seed", o->seed, "Seed for the labels, the subset and the direction a")
      ->capture_default_str();
  sub->add_option("--threads", o->threads, "CPU threads (0: all cores)")
      ->check(non_negative())
      ->capture_default_str();
  sub->add_option("--thresholds", o->thresholds,
                  "Where b_j sits between neighbouring projections: near-previous (small "
                  "weights) or midpoint (weights ~ 1 / smallest gap; see experiments/theorem1.h)")
      ->check(CLI::IsMember({"near-previous", "midpoint"}))
      ->capture_default_str();
  sub->add_flag("--allow-conflicts", o->allow_conflicts,
                "Fit the distinct points when some repeat with another label (they count as "
                "misses)");
  sub->add_option("--out", o->out, "Run directory (default: runs/expressivity-<UTC time>)");
  sub->add_flag("--overwrite", o->overwrite, "Reuse a run directory that already holds a run");
  return {sub, [o] { return run_expressivity(*o); }};
}

}  // namespace rethink::cli
