// rethink figure1: the paper's Figure 1, every run trained until it fits the training set.
//   (a) learning curves of one model under true labels, random labels, shuffled pixels, random
//       pixels and Gaussian inputs;
//   (b) steps and seconds to fit relative to p = 0, across label corruption p, with the mean
//       gradient norm per epoch beside them;
//   (c) test error at convergence across the same p.
// Writes <out>/runs/<model>/<condition>/seed-<s>/ (one rethink fit run each; completed ones are
// reused, interrupted ones resumed), figure1{a,b,c}.csv (+ figure1a_curves.csv,
// figure1b_grad_norm.csv), plots/*.png through tools/plot_figure1.py, and report.md.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "experiments/cli.h"
#include "experiments/commands/registry.h"
#include "experiments/format.h"
#include "experiments/metrics_csv.h"
#include "experiments/paper_numbers.h"
#include "experiments/plots.h"
#include "experiments/report.h"
#include "experiments/run_dir.h"
#include "experiments/sweep.h"
#include "experiments/sweep_flags.h"
#include "kernels/check.h"
#include "models/zoo/registry.h"
#include "runtime/build_info.h"

namespace rethink::cli {
namespace {
namespace fs = std::filesystem;

const std::vector<std::string> kConditions = {"true-labels", "random-labels", "shuffled-pixels",
                                              "random-pixels", "gaussian"};

struct Figure1Options {
  SweepFlags sweep;
  std::string panels = "a,b,c";
  std::string model = "mlp1x512";
  std::string conditions = "true-labels,random-labels,shuffled-pixels,random-pixels,gaussian";
  std::string models = "mlp1x512";
  std::string corruptions = "0,0.2,0.4,0.6,0.8,1";
};

std::vector<std::string> model_names() {
  std::vector<std::string> names;
  for (const ModelEntry& e : model_registry()) names.push_back(e.name);
  return names;
}

std::string p_text(double p) { return fmt::format("{:g}", p); }

// The condition (and its folder name) of label corruption p: p = 0 is true labels and p = 1
// random labels, the very runs panel (a) has.
std::string corruption_condition(double p) {
  if (p == 0) return "true-labels";
  if (p == 1) return "random-labels";
  return "partial-labels-p" + p_text(p);
}

FitOptions condition_options(const SweepFlags& f, const std::string& model,
                             const std::string& condition, double p, uint64_t seed) {
  FitOptions o = sweep_fit_options(f, model, seed);
  if (condition == "true-labels") {
    o.randomize = "none";
  } else if (condition.starts_with("partial-labels")) {
    o.randomize = "partial-labels";
    o.corrupt_prob = p;
  } else {
    o.randomize = condition;
  }
  return o;
}

std::string condition_title(const std::string& c) {
  if (c == "true-labels") return "true labels";
  if (c == "random-labels") return "random labels";
  if (c == "shuffled-pixels") return "shuffled pixels";
  if (c == "random-pixels") return "random pixels";
  if (c == "gaussian") return "Gaussian";
  return c;
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Point {  // one condition (or p) of one model, over the seeds
  std::string model;
  std::string condition;
  double p = kNaN;
  std::vector<const SweepResult*> runs;  // one per seed
};

std::vector<double> collect(const Point& pt, const std::string& path, bool fit_only) {
  std::vector<double> v;
  for (const SweepResult* r : pt.runs) {
    if (fit_only && !r->summary.value("fit", false)) continue;
    const double x = summary_number(r->summary, path);
    if (!std::isnan(x)) v.push_back(x);
  }
  return v;
}

int64_t fit_count(const Point& pt) {
  int64_t n = 0;
  for (const SweepResult* r : pt.runs) n += r->summary.value("fit", false) ? 1 : 0;
  return n;
}

std::string num(double v) { return std::isnan(v) ? "" : fmt::format("{:.6g}", v); }

std::string fit_text(const Point& pt) {
  return fmt::format("{}/{}", fit_count(pt), pt.runs.size());
}

// The ratio to p = 0 of the same seed, for every seed where both runs fit.
std::vector<double> relative_to_p0(const Point& pt, const Point& p0, const std::string& path) {
  std::vector<double> v;
  for (const SweepResult* r : pt.runs) {
    if (!r->summary.value("fit", false)) continue;
    for (const SweepResult* base : p0.runs) {
      if (base->run.options.seed != r->run.options.seed || !base->summary.value("fit", false)) {
        continue;
      }
      const double a = summary_number(r->summary, path);
      const double b = summary_number(base->summary, path);
      if (b > 0 && !std::isnan(a)) v.push_back(a / b);
    }
  }
  return v;
}

class Figure1 {
 public:
  explicit Figure1(const Figure1Options& o) : o_(o) {}

  int run() {
    const std::vector<std::string> panels = parse_names(o_.panels, "--panels", {"a", "b", "c"});
    want_a_ = std::find(panels.begin(), panels.end(), "a") != panels.end();
    want_b_ = std::find(panels.begin(), panels.end(), "b") != panels.end();
    want_c_ = std::find(panels.begin(), panels.end(), "c") != panels.end();
    const std::vector<std::string> models = model_names();
    if (std::find(models.begin(), models.end(), o_.model) == models.end()) {
      throw UserError(fmt::format("--model '{}' is not a model of the zoo ({})", o_.model,
                                  fmt::join(models, ", ")));
    }
    conditions_ = parse_names(o_.conditions, "--conditions", kConditions);
    models_ = parse_names(o_.models, "--models", models);
    corruptions_ = parse_fractions(o_.corruptions, "--corruptions");
    seeds_ = parse_seeds(o_.sweep.seeds);
    if (want_b_ && corruptions_.front() != 0) {
      throw UserError(
          fmt::format("--corruptions '{}': panel (b) gives times relative to p = 0, "
                      "so the list must include 0",
                      o_.corruptions));
    }

    std::vector<SweepRun> runs;
    std::map<std::string, size_t> index;  // key -> position in runs
    const auto add = [&](const std::string& model, const std::string& condition, double p,
                         uint64_t seed) {
      const std::string key = fmt::format("{}/{}/seed-{}", model, condition, seed);
      if (index.contains(key)) return;
      index[key] = runs.size();
      runs.push_back({key, fmt::format("{} {}, seed {}", model, condition_title(condition), seed),
                      condition_options(o_.sweep, model, condition, p, seed)});
    };
    for (uint64_t seed : seeds_) {
      if (want_a_) {
        for (const std::string& c : conditions_) add(o_.model, c, kNaN, seed);
      }
      if (want_b_ || want_c_) {
        for (const std::string& m : models_) {
          for (double p : corruptions_) add(m, corruption_condition(p), p, seed);
        }
      }
    }

    const fs::path root = o_.sweep.out;
    outcome_ = run_sweep(root, runs,
                         fmt::format("rethink figure1: {} runs into {} (each until it fits, at "
                                     "most {} epochs)",
                                     runs.size(), root.string(), o_.sweep.epochs));
    if (outcome_.interrupted) {
      fmt::print(
          "figure1 interrupted; run the same command again to continue (finished runs are "
          "reused, the interrupted one resumes from its checkpoint)\n");
      return kExitInterrupted;
    }
    for (const SweepResult& r : outcome_.results) by_key_[r.run.key] = &r;

    // Points, over the seeds.
    if (want_a_) {
      for (const std::string& c : conditions_) a_.push_back(point(o_.model, c, kNaN));
    }
    if (want_b_ || want_c_) {
      for (const std::string& m : models_) {
        for (double p : corruptions_) bc_.push_back(point(m, corruption_condition(p), p));
      }
    }

    if (want_a_) write_panel_a(root);
    if (want_b_) write_panel_b(root);
    if (want_c_) write_panel_c(root);
    std::string plots;
    if (o_.sweep.no_plots) {
      plots = "plots skipped (--no-plots)";
    } else {
      const PlotResult r = run_plot_script("plot_figure1.py", {root.string()});
      plots = r.ok ? fmt::format("plots in {}", (root / "plots").string()) : r.message;
    }
    write_report(root, plots);
    print_summary(root, plots);
    return kExitOk;
  }

 private:
  Point point(const std::string& model, const std::string& condition, double p) const {
    Point pt{model, condition, p, {}};
    for (uint64_t seed : seeds_) {
      const auto it = by_key_.find(fmt::format("{}/{}/seed-{}", model, condition, seed));
      if (it != by_key_.end()) pt.runs.push_back(it->second);
    }
    return pt;
  }

  const Point* p0(const std::string& model) const {
    for (const Point& pt : bc_) {
      if (pt.model == model && pt.p == 0) return &pt;
    }
    return nullptr;
  }

  void write_panel_a(const fs::path& root) const {
    CsvWriter curves(root / "figure1a_curves.csv",
                     {"model", "condition", "seed", "step", "epoch", "train_loss",
                      "full_train_loss", "full_train_acc", "test_acc", "grad_norm"});
    CsvWriter summary(
        root / "figure1a.csv",
        {"model", "condition", "runs", "fit_runs", "steps_to_fit_mean", "steps_to_fit_std",
         "epochs_to_fit_mean", "final_train_loss_mean", "train_acc_mean", "test_acc_mean",
         "test_acc_std", "paper_reproduction_steps_to_loss_0.01"});
    for (const Point& pt : a_) {
      for (const SweepResult* r : pt.runs) {
        for (const MetricsRow& m : read_metrics(r->dir)) {
          curves.append({pt.model, pt.condition, std::to_string(r->run.options.seed),
                         num(m.at("step")), num(m.at("epoch")), num(m.at("train_loss")),
                         num(m.at("full_train_loss")), num(m.at("full_train_acc")),
                         num(m.at("test_acc")), num(m.at("grad_norm"))});
        }
      }
      const report::MeanStd steps = report::mean_std(collect(pt, "steps_to_fit", true));
      const report::MeanStd test = report::mean_std(collect(pt, "final.test_accuracy", false));
      const auto paper = paper::figure1a_reproduction_steps(pt.condition);
      summary.append({pt.model, pt.condition, std::to_string(pt.runs.size()),
                      std::to_string(fit_count(pt)), num(steps.n ? steps.mean : kNaN),
                      num(steps.n ? steps.std : kNaN),
                      num(report::mean_std(collect(pt, "fit_epoch", true)).mean),
                      num(report::mean_std(collect(pt, "final.running_train_loss", false)).mean),
                      num(report::mean_std(collect(pt, "final.train_accuracy", false)).mean),
                      num(test.mean), num(test.std), paper ? num(*paper) : ""});
    }
  }

  void write_panel_b(const fs::path& root) const {
    CsvWriter out(
        root / "figure1b.csv",
        {"model", "p", "runs", "fit_runs", "steps_to_fit_mean", "steps_to_fit_std",
         "relative_steps_mean", "relative_steps_std", "seconds_to_fit_mean", "seconds_to_fit_std",
         "relative_seconds_mean", "relative_seconds_std", "grad_norm_mean"});
    CsvWriter norms(root / "figure1b_grad_norm.csv",
                    {"model", "p", "seed", "epoch", "step", "grad_norm"});
    for (const Point& pt : bc_) {
      const Point* base = p0(pt.model);
      const report::MeanStd steps = report::mean_std(collect(pt, "steps_to_fit", true));
      const report::MeanStd secs = report::mean_std(collect(pt, "train_seconds_to_fit", true));
      const report::MeanStd rs = report::mean_std(relative_to_p0(pt, *base, "steps_to_fit"));
      const report::MeanStd rt =
          report::mean_std(relative_to_p0(pt, *base, "train_seconds_to_fit"));
      std::vector<double> run_norms;
      for (const SweepResult* r : pt.runs) {
        std::vector<double> per_epoch;
        for (const MetricsRow& m : read_metrics(r->dir)) {
          norms.append({pt.model, p_text(pt.p), std::to_string(r->run.options.seed),
                        num(m.at("epoch")), num(m.at("step")), num(m.at("grad_norm"))});
          per_epoch.push_back(m.at("grad_norm"));
        }
        if (!per_epoch.empty()) run_norms.push_back(report::mean_std(per_epoch).mean);
      }
      const auto opt = [](const report::MeanStd& m, bool want_std) {
        return m.n == 0 ? std::string() : num(want_std ? m.std : m.mean);
      };
      out.append({pt.model, p_text(pt.p), std::to_string(pt.runs.size()),
                  std::to_string(fit_count(pt)), opt(steps, false), opt(steps, true),
                  opt(rs, false), opt(rs, true), opt(secs, false), opt(secs, true), opt(rt, false),
                  opt(rt, true), num(report::mean_std(run_norms).mean)});
    }
  }

  void write_panel_c(const fs::path& root) const {
    CsvWriter out(root / "figure1c.csv", {"model", "p", "runs", "fit_runs", "test_error_mean",
                                          "test_error_std", "train_acc_mean", "paper_test_error"});
    for (const Point& pt : bc_) {
      std::vector<double> errors;
      for (double a : collect(pt, "final.test_accuracy", false)) errors.push_back(1 - a);
      const report::MeanStd e = report::mean_std(errors);
      std::string paper_value;
      if (const auto ends = paper::figure1c_endpoints(pt.model)) {
        if (pt.p == 0) paper_value = num(ends->p0 / 100);
        if (pt.p == 1) paper_value = num(ends->p1 / 100);
      }
      out.append({pt.model, p_text(pt.p), std::to_string(pt.runs.size()),
                  std::to_string(fit_count(pt)), num(e.mean), num(e.n > 1 ? e.std : kNaN),
                  num(report::mean_std(collect(pt, "final.train_accuracy", false)).mean),
                  paper_value});
    }
  }

  std::string steps_cell(const Point& pt) const {
    return report::mean_std_text(report::mean_std(collect(pt, "steps_to_fit", true)), 0);
  }

  void write_report(const fs::path& root, const std::string& plots) const {
    std::string md = "# Figure 1, reproduced by rethink\n\n";
    const SweepResult& any = outcome_.results.front();
    md += fmt::format(
        "Zhang et al., \"Understanding deep learning requires rethinking "
        "generalization\" (ICLR 2017), Figure 1. Written {} by `{}` (rethink {}, "
        "commit {}).\n\n",
        report::utc_now(), invocation(), build_info().version, build_info().commit);
    md += "## Setup\n\n";
    for (const std::string& note : report::data_notes(any.config["dataset"])) {
      md += "- " + note + "\n";
    }
    const nlohmann::json& dev = any.config["device"];
    md += fmt::format(
        "- Every run trains until it fits (full-training-set accuracy in eval mode >= {}%, "
        "checked every {} epoch(s)), at most {} epochs: SGD, momentum 0.9, batch {}, initial lr "
        "{} x {} per full-size epoch, no weight decay, dropout or augmentation.\n",
        100 * o_.sweep.fit_threshold, o_.sweep.eval_every, o_.sweep.epochs, o_.sweep.batch,
        o_.sweep.lr > 0 ? fmt::format("{}", o_.sweep.lr) : "0.1 (Inception) / 0.01 (others)",
        o_.sweep.lr_decay);
    md += fmt::format("- Seeds: {} (each point is the mean ± sample std over them).\n",
                      fmt::join(seeds_, ", "));
    md += fmt::format("- Device: {} ({}), {} threads.\n", dev.value("used", "?"),
                      dev.value("reason", ""), any.config["flags"].value("threads", 0));
    md +=
        "- Seconds to fit count time in training steps only (evaluations excluded); on a "
        "shared machine they are noisy, steps are not.\n";
    md += fmt::format("- Plots: {}.\n\n", plots);

    if (want_a_) md += report_a();
    if (want_b_) md += report_b();
    if (want_c_) md += report_c();

    md += "## Runs\n\n";
    std::vector<std::vector<std::string>> rows;
    for (const SweepResult& r : outcome_.results) {
      const nlohmann::json& s = r.summary;
      const nlohmann::json f = s.value("final", nlohmann::json::object());
      rows.push_back(
          {fmt::format("`{}`", r.run.key), s.value("status", "?"),
           s.value("fit", false) ? "yes" : "**no**",
           s.contains("steps_to_fit") ? with_thousands(s["steps_to_fit"].get<int64_t>()) : "–",
           std::to_string(s.value("epochs_completed", 0)),
           report::percent(f.value("train_accuracy", 0.0)),
           report::percent(f.value("test_accuracy", 0.0)),
           fmt::format("{:.1f}", s.value("seconds", 0.0)), r.reused ? "reused" : "trained"});
    }
    md += report::table(
        {"run", "status", "fit", "steps to fit", "epochs", "train acc", "test acc", "seconds", ""},
        rows);
    write_file_atomically(root / "report.md", md);
  }

  std::string report_a() const {
    std::string md = fmt::format("## (a) Learning curves: {}\n\n", o_.model);
    md += report::data_caption(outcome_.results.front().config["dataset"]) + "\n\n";
    std::vector<std::vector<std::string>> rows;
    for (const Point& pt : a_) {
      const auto paper = paper::figure1a_reproduction_steps(pt.condition);
      rows.push_back(
          {condition_title(pt.condition), fit_text(pt), steps_cell(pt),
           report::mean_std_text(report::mean_std(collect(pt, "final.running_train_loss", false)),
                                 4),
           report::percent_text(report::mean_std(collect(pt, "final.train_accuracy", false))),
           report::percent_text(report::mean_std(collect(pt, "final.test_accuracy", false))),
           paper ? with_thousands(static_cast<int64_t>(*paper)) : "–"});
    }
    md += report::table({"condition", "fit", "steps to fit", "final training loss",
                         "train accuracy", "test accuracy",
                         "paper: steps to loss <= 0.01 (Inception, CIFAR-10, independent "
                         "reproduction)"},
                        rows);
    md +=
        "\nThe paper (Fig. 1a): every setting reaches ~0 loss; true labels converge first, "
        "random labels last; random pixels and Gaussian start converging before random "
        "labels. Its figure has no verified values; the last column is an independent "
        "reproduction's (PAPER.md 6.5).\n\n";
    // The shape, checked on our numbers.
    const auto mean_steps = [&](const Point& pt) {
      const std::vector<double> v = collect(pt, "steps_to_fit", true);
      return fit_count(pt) == static_cast<int64_t>(pt.runs.size()) && !v.empty()
                 ? report::mean_std(v).mean
                 : std::numeric_limits<double>::infinity();
    };
    const Point* random = nullptr;
    const Point* truth = nullptr;
    for (const Point& pt : a_) {
      if (pt.condition == "random-labels") random = &pt;
      if (pt.condition == "true-labels") truth = &pt;
    }
    if (random != nullptr && a_.size() > 1) {
      bool slowest = true;
      for (const Point& pt : a_) slowest = slowest && mean_steps(pt) <= mean_steps(*random);
      md += fmt::format("- Ours: random labels are the slowest to fit: **{}**.\n",
                        slowest ? "yes" : "no");
    }
    if (truth != nullptr && a_.size() > 1) {
      bool fastest = true;
      for (const Point& pt : a_) fastest = fastest && mean_steps(pt) >= mean_steps(*truth);
      md += fmt::format("- Ours: true labels are the fastest to fit: **{}**.\n",
                        fastest ? "yes" : "no");
    }
    md += "- Curves: `figure1a_curves.csv` (per evaluation), `plots/figure1a.png`.\n\n";
    return md;
  }

  std::string report_b() const {
    std::string md = "## (b) Convergence slowdown with label corruption\n\n";
    md += report::data_caption(outcome_.results.front().config["dataset"]) + "\n\n";
    std::vector<std::vector<std::string>> rows;
    for (const Point& pt : bc_) {
      const Point* base = p0(pt.model);
      rows.push_back(
          {pt.model, p_text(pt.p), fit_text(pt), steps_cell(pt),
           report::mean_std_text(report::mean_std(relative_to_p0(pt, *base, "steps_to_fit")), 2),
           report::mean_std_text(report::mean_std(collect(pt, "train_seconds_to_fit", true)), 2),
           report::mean_std_text(
               report::mean_std(relative_to_p0(pt, *base, "train_seconds_to_fit")), 2)});
    }
    md += report::table({"model", "p", "fit", "steps to fit", "relative steps", "seconds to fit",
                         "relative seconds"},
                        rows);
    md +=
        "\nThe paper (Fig. 1b, CIFAR-10, Inception / AlexNet / MLP 1x512): every p reaches "
        "100% training accuracy, and the time to fit grows with p by \"only a small constant "
        "factor\" (≈1x at p = 0 to a few x at p = 1; no verified values).\n\n";
    for (const std::string& m : models_) {
      std::vector<double> rel;
      for (const Point& pt : bc_) {
        if (pt.model != m) continue;
        const report::MeanStd r = report::mean_std(relative_to_p0(pt, *p0(m), "steps_to_fit"));
        rel.push_back(r.n ? r.mean : std::numeric_limits<double>::infinity());
      }
      const bool rising = std::is_sorted(rel.begin(), rel.end());
      md +=
          fmt::format("- Ours, {}: relative steps at p = {} are {:.2f}x; rising with p: **{}**.\n",
                      m, p_text(corruptions_.back()), rel.back(), rising ? "yes" : "no");
    }
    md +=
        "- Mean gradient norm per evaluation interval: `figure1b_grad_norm.csv`, "
        "`plots/figure1b.png` (right).\n\n";
    return md;
  }

  std::string report_c() const {
    std::string md = "## (c) Test error at convergence\n\n";
    md += report::data_caption(outcome_.results.front().config["dataset"]) + "\n\n";
    std::vector<std::vector<std::string>> rows;
    for (const Point& pt : bc_) {
      std::vector<double> errors;
      for (double a : collect(pt, "final.test_accuracy", false)) errors.push_back(100 * (1 - a));
      std::string paper_value = "–";
      if (const auto ends = paper::figure1c_endpoints(pt.model)) {
        if (pt.p == 0) paper_value = fmt::format("{:.2f}%", ends->p0);
        if (pt.p == 1) paper_value = fmt::format("{:.2f}%", ends->p1);
      }
      rows.push_back(
          {pt.model, p_text(pt.p), fit_text(pt),
           report::mean_std_text(report::mean_std(errors), 2) + "%",
           report::percent_text(report::mean_std(collect(pt, "final.train_accuracy", false))),
           paper_value});
    }
    md += report::table({"model", "p", "fit", "test error", "train accuracy",
                         "paper test error (Table 1 endpoints, CIFAR-10)"},
                        rows);
    md +=
        "\nThe paper (Fig. 1c): test error rises steadily with p, toward 90% as p -> 1, "
        "while training accuracy stays 100%.\n\n";
    for (const std::string& m : models_) {
      std::vector<double> err;
      for (const Point& pt : bc_) {
        if (pt.model == m)
          err.push_back(1 - report::mean_std(collect(pt, "final.test_accuracy", false)).mean);
      }
      md += fmt::format(
          "- Ours, {}: test error rises with p: **{}** ({:.2f}% at p = {} to "
          "{:.2f}% at p = {}).\n",
          m, std::is_sorted(err.begin(), err.end()) ? "yes" : "no", 100 * err.front(),
          p_text(corruptions_.front()), 100 * err.back(), p_text(corruptions_.back()));
    }
    md += "\n";
    return md;
  }

  void print_summary(const fs::path& root, const std::string& plots) const {
    if (want_a_) {
      const SweepResult& any = *a_.front().runs.front();
      fmt::print(
          "\n{} on {} (n = {} training images, {} test images), until fit, at most {} "
          "epochs\n",
          o_.model, any.config["dataset"].value("spec", ""),
          with_thousands(any.config["dataset"].value("train_size", int64_t{0})),
          with_thousands(any.config["dataset"].value("test_size", int64_t{0})), o_.sweep.epochs);
      fmt::print("{:<16} {:>8} {:>10} {:>10} {:>13} {:>15}\n", "condition", "n", "train acc",
                 "test acc", "steps to fit", "seconds to fit");
      for (const Point& pt : a_) {
        const report::MeanStd tr = report::mean_std(collect(pt, "final.train_accuracy", false));
        const report::MeanStd te = report::mean_std(collect(pt, "final.test_accuracy", false));
        const report::MeanStd st = report::mean_std(collect(pt, "steps_to_fit", true));
        const report::MeanStd se = report::mean_std(collect(pt, "train_seconds_to_fit", true));
        fmt::print(
            "{:<16} {:>8} {:>9.2f}% {:>9.2f}% {:>13} {:>15}\n", condition_title(pt.condition),
            with_thousands(pt.runs.front()->config["dataset"].value("train_size", int64_t{0})),
            100 * tr.mean, 100 * te.mean,
            fit_count(pt) == 0 ? "not fit" : report::mean_std_text(st, 0),
            fit_count(pt) == 0 ? "not fit" : report::mean_std_text(se, 2));
      }
    }
    fmt::print("\nwrote {} (report.md, figure1*.csv, runs/); {}\n", root.string(), plots);
  }

  Figure1Options o_;
  bool want_a_ = false, want_b_ = false, want_c_ = false;
  std::vector<std::string> conditions_;
  std::vector<std::string> models_;
  std::vector<double> corruptions_;
  std::vector<uint64_t> seeds_;
  SweepOutcome outcome_;
  std::map<std::string, const SweepResult*> by_key_;
  std::vector<Point> a_;
  std::vector<Point> bc_;
};

}  // namespace

Command add_figure1_command(CLI::App& app) {
  auto o = std::make_shared<Figure1Options>();
  CLI::App* sub = app.add_subcommand(
      "figure1",
      "Figure 1: learning curves under randomization (a), time to fit (b) and test "
      "error (c) across label corruption");
  add_sweep_flags(*sub, o->sweep, "runs/figure1");
  sub->add_option("--panels", o->panels, "Which panels: a comma-separated subset of a,b,c")
      ->capture_default_str();
  sub->add_option("--model", o->model, "Panel (a)'s model")->capture_default_str();
  sub->add_option("--conditions", o->conditions,
                  "Panel (a)'s settings: true-labels, random-labels, shuffled-pixels, "
                  "random-pixels, gaussian")
      ->capture_default_str();
  sub->add_option("--models", o->models, "Panels (b) and (c)'s models, comma-separated")
      ->capture_default_str();
  sub->add_option("--corruptions", o->corruptions,
                  "Panels (b) and (c)'s label corruption probabilities p (must include 0)")
      ->capture_default_str();
  return {sub, [o] { return Figure1(*o).run(); }};
}

}  // namespace rethink::cli
