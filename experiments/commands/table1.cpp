// rethink table1: the paper's Table 1 (models x random crop x weight decay, plus the
// random-label rows), its best-test-accuracy-so-far column (Figure 2's early-stopping band), and
// Table 4 (random labels with a regularizer on), beside the paper's numbers in one report.
// Writes <out>/runs/<model>/<row>/seed-<s>/ (completed runs reused), table1.csv, table4.csv,
// plots/table1.png (test accuracy and its best so far, through tools/plot_table1.py), report.md.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "experiments/cli.h"
#include "experiments/commands/registry.h"
#include "experiments/format.h"
#include "experiments/paper_numbers.h"
#include "experiments/plots.h"
#include "experiments/report.h"
#include "experiments/run_dir.h"
#include "experiments/sweep.h"
#include "experiments/sweep_flags.h"
#include "experiments/validators.h"
#include "kernels/check.h"
#include "models/zoo/registry.h"
#include "runtime/build_info.h"

namespace rethink::cli {
namespace {
namespace fs = std::filesystem;

struct Table1Options {
  SweepFlags sweep;
  std::string models = "inception,inception-nobn,alexnet,mlp3x512,mlp1x512";
  std::string grid = "paper";
  double weight_decay = 0;  // 0: 5e-4 for the convolutional models, 1e-4 for the MLPs
  double regularized_lr_decay = 0.999;
  bool no_table4 = false;
};

// One row of either table: a training recipe.
struct Row {
  int table = 1;  // 1 or 4
  std::string model;
  bool crop = false;
  bool weight_decay = false;
  bool random_labels = false;
  std::string augment;      // Table 4's "augmentation" row: flip,rotate
  std::string regularizer;  // Table 4: weight-decay, random-crop, augmentation
  std::string key;
};

double default_weight_decay(const std::string& model) {
  return model.starts_with("mlp") ? 1e-4 : 5e-4;
}

std::string yes_no(bool b) { return b ? "yes" : "no"; }

class Table1 {
 public:
  explicit Table1(const Table1Options& o) : o_(o) {}

  int run() {
    std::vector<std::string> names;
    for (const ModelEntry& e : model_registry()) names.push_back(e.name);
    models_ = parse_names(o_.models, "--models", names);
    if (o_.grid != "paper" && o_.grid != "full") {
      throw UserError(fmt::format("--grid '{}': use paper or full", o_.grid));
    }
    seeds_ = parse_seeds(o_.sweep.seeds);
    build_rows();

    std::vector<SweepRun> runs;
    for (const Row& r : rows_) {
      for (uint64_t seed : seeds_) {
        FitOptions f = sweep_fit_options(o_.sweep, r.model, seed);
        if (r.crop) f.augment = "crop";
        if (!r.augment.empty()) f.augment = r.augment;
        if (r.weight_decay) {
          f.weight_decay = o_.weight_decay > 0 ? o_.weight_decay : default_weight_decay(r.model);
        }
        if (r.random_labels) f.randomize = "random-labels";
        // Table 4: with augmentation, random labels needed a slower decay (0.95 -> 0.999).
        if (r.table == 4 && (r.crop || !r.augment.empty())) f.lr_decay = o_.regularized_lr_decay;
        runs.push_back({fmt::format("{}/seed-{}", r.key, seed),
                        fmt::format("{} {}, seed {}", r.model, title(r), seed), f});
      }
    }
    const fs::path root = o_.sweep.out;
    outcome_ = run_sweep(root, runs,
                         fmt::format("rethink table1: {} runs into {} (each until it fits, at "
                                     "most {} epochs)",
                                     runs.size(), root.string(), o_.sweep.epochs));
    if (outcome_.interrupted) {
      fmt::print(
          "table1 interrupted; run the same command again to continue (finished runs are "
          "reused, the interrupted one resumes from its checkpoint)\n");
      return kExitInterrupted;
    }
    for (const SweepResult& r : outcome_.results) by_key_[r.run.key] = &r;

    write_csv(root, 1);
    if (!o_.no_table4) write_csv(root, 4);
    std::string plots;
    if (o_.sweep.no_plots) {
      plots = "plots skipped (--no-plots)";
    } else {
      const PlotResult r = run_plot_script("plot_table1.py", {root.string()});
      plots = r.ok ? fmt::format("plots in {}", (root / "plots").string()) : r.message;
    }
    write_report(root, plots);
    fmt::print("wrote {} (report.md, table1.csv{}, runs/); {}\n", root.string(),
               o_.no_table4 ? "" : ", table4.csv", plots);
    return kExitOk;
  }

 private:
  static std::string title(const Row& r) {
    if (r.table == 4) return "random labels + " + r.regularizer;
    if (r.random_labels) return "random labels";
    return fmt::format("crop {}, wd {}", yes_no(r.crop), yes_no(r.weight_decay));
  }

  void build_rows() {
    for (const std::string& m : models_) {
      for (const bool crop : {true, false}) {
        for (const bool wd : {true, false}) {
          const bool in_paper = paper::table1_row(m, crop, wd, false).has_value();
          const bool possible = o_.grid == "full" || in_paper;
          if (!possible) continue;
          rows_.push_back({1, m, crop, wd, false, "", "",
                           fmt::format("{}/true-crop{}-wd{}", m, crop ? 1 : 0, wd ? 1 : 0)});
        }
      }
      rows_.push_back({1, m, false, false, true, "", "", fmt::format("{}/random", m)});
    }
    if (o_.no_table4) return;
    for (const std::string& m : models_) {
      const auto want = [&](std::string_view reg) {
        return o_.grid == "full" || paper::table4_row(m, reg).has_value();
      };
      if (want("weight-decay")) {
        rows_.push_back({4, m, false, true, true, "", "weight-decay", m + "/random-wd"});
      }
      if (m.starts_with("inception") && want("random-crop")) {
        rows_.push_back({4, m, true, false, true, "", "random-crop", m + "/random-crop"});
      }
      if (m.starts_with("inception") && want("augmentation")) {
        rows_.push_back(
            {4, m, false, false, true, "flip,rotate", "augmentation", m + "/random-augment"});
      }
    }
  }

  std::vector<const SweepResult*> runs_of(const Row& r) const {
    std::vector<const SweepResult*> out;
    for (uint64_t seed : seeds_) {
      const auto it = by_key_.find(fmt::format("{}/seed-{}", r.key, seed));
      if (it != by_key_.end()) out.push_back(it->second);
    }
    return out;
  }

  static report::MeanStd stat(const std::vector<const SweepResult*>& runs,
                              const std::string& path) {
    std::vector<double> v;
    for (const SweepResult* r : runs) {
      const double x = summary_number(r->summary, path);
      if (!std::isnan(x)) v.push_back(x);
    }
    return report::mean_std(v);
  }

  static std::string fit_text(const std::vector<const SweepResult*>& runs) {
    int fit = 0;
    for (const SweepResult* r : runs) fit += r->summary.value("fit", false) ? 1 : 0;
    return fmt::format("{}/{}", fit, runs.size());
  }

  static std::string pct(const report::MeanStd& m) { return report::percent_text(m); }

  void write_csv(const fs::path& root, int table) const {
    CsvWriter out(
        root / fmt::format("table{}.csv", table),
        {"model", "parameters", "random_crop", "weight_decay", "labels", "regularizer", "runs",
         "fit_runs", "train_acc_mean", "train_acc_std", "running_train_acc_mean", "test_acc_mean",
         "test_acc_std", "best_test_acc_mean", "epochs_mean", "paper_train_acc", "paper_test_acc"});
    for (const Row& r : rows_) {
      if (r.table != table) continue;
      const auto runs = runs_of(r);
      if (runs.empty()) continue;
      const auto num = [](double v) { return fmt::format("{:.6g}", v); };
      std::string paper_train, paper_test;
      if (table == 1) {
        if (const auto p = paper::table1_row(r.model, r.crop, r.weight_decay, r.random_labels)) {
          paper_train = num(p->train / 100);
          paper_test = num(p->test / 100);
        }
      } else if (const auto p = paper::table4_row(r.model, r.regularizer)) {
        paper_train = std::string(p->train);
      }
      const report::MeanStd train = stat(runs, "final.train_accuracy");
      const report::MeanStd test = stat(runs, "final.test_accuracy");
      out.append({r.model, num(summary_number(runs.front()->summary, "parameters")), yes_no(r.crop),
                  yes_no(r.weight_decay), r.random_labels ? "random" : "true", r.regularizer,
                  std::to_string(runs.size()), fit_text(runs).substr(0, fit_text(runs).find('/')),
                  num(train.mean), num(train.std),
                  num(stat(runs, "final.running_train_accuracy").mean), num(test.mean),
                  num(test.std), num(stat(runs, "final.best_test_accuracy").mean),
                  num(stat(runs, "epochs_completed").mean), paper_train, paper_test});
    }
  }

  void write_report(const fs::path& root, const std::string& plots) const {
    const SweepResult& any = outcome_.results.front();
    std::string md = "# Table 1 and Table 4, reproduced by rethink\n\n";
    md += fmt::format(
        "Zhang et al., \"Understanding deep learning requires rethinking "
        "generalization\" (ICLR 2017), Tables 1 and 4. Written {} by `{}` (rethink "
        "{}, commit {}).\n\n",
        report::utc_now(), invocation(), build_info().version, build_info().commit);
    md += "## Setup\n\n";
    for (const std::string& note : report::data_notes(any.config["dataset"])) {
      md += "- " + note + "\n";
    }
    const nlohmann::json& dev = any.config["device"];
    md += fmt::format(
        "- Every run trains until it fits (full-training-set accuracy in eval mode >= {}%), at "
        "most {} epochs: SGD, momentum 0.9, batch {}, initial lr {} x {} per full-size epoch "
        "(Table 4's crop and augmentation rows: x {}, as the paper did).\n",
        100 * o_.sweep.fit_threshold, o_.sweep.epochs, o_.sweep.batch,
        o_.sweep.lr > 0 ? fmt::format("{}", o_.sweep.lr) : "0.1 (Inception) / 0.01 (others)",
        o_.sweep.lr_decay, o_.regularized_lr_decay);
    md += fmt::format(
        "- Weight decay (the paper's \"default coefficient\" is not stated): {}. Random crop: a "
        "random 28x28 window (images no larger are zero-padded by 2 first); augmentation: "
        "random left-right flips and rotations up to 25 degrees.\n",
        o_.weight_decay > 0 ? fmt::format("{}", o_.weight_decay)
                            : "5e-4 for the convolutional models, 1e-4 for the MLPs");
    md += fmt::format("- Seeds: {} (mean ± sample std). Device: {} ({}), {} threads.\n",
                      fmt::join(seeds_, ", "), dev.value("used", "?"), dev.value("reason", ""),
                      any.config["flags"].value("threads", 0));
    md += fmt::format("- Plots: {}.\n\n", plots);

    md += "## Table 1: train and test accuracy\n\n";
    md += report::data_caption(any.config["dataset"]) + "\n\n";
    std::vector<std::vector<std::string>> rows;
    for (const Row& r : rows_) {
      if (r.table != 1) continue;
      const auto runs = runs_of(r);
      const auto p = paper::table1_row(r.model, r.crop, r.weight_decay, r.random_labels);
      const int64_t params =
          static_cast<int64_t>(summary_number(runs.front()->summary, "parameters"));
      rows.push_back(
          {std::string(paper::model_title(r.model)),
           r.random_labels ? "(fitting random labels)" : with_thousands(params), yes_no(r.crop),
           yes_no(r.weight_decay), fit_text(runs), pct(stat(runs, "final.train_accuracy")),
           pct(stat(runs, "final.test_accuracy")), pct(stat(runs, "final.best_test_accuracy")),
           p ? fmt::format("{:.2f}%", p->train) : "–", p ? fmt::format("{:.2f}%", p->test) : "–"});
    }
    md += report::table(
        {"model", "parameters (ours)", "random crop", "weight decay", "fit", "train acc",
         "test acc", "best test acc so far", "paper train", "paper test"},
        rows);
    md +=
        "\n\"Best test acc so far\" is the highest test accuracy at any evaluation: what early "
        "stopping could have had (Figure 2's shaded band). The paper: on CIFAR-10 every model "
        "fits its training set, random labels included (test ≈ 10%); explicit regularizers "
        "move test accuracy by a few points only.\n\n";

    if (!o_.no_table4) {
      md += "## Table 4: fitting random labels with a regularizer on\n\n";
      md += report::data_caption(any.config["dataset"]) + "\n\n";
      rows.clear();
      for (const Row& r : rows_) {
        if (r.table != 4) continue;
        const auto runs = runs_of(r);
        const auto p = paper::table4_row(r.model, r.regularizer);
        rows.push_back({std::string(paper::model_title(r.model)), r.regularizer, fit_text(runs),
                        pct(stat(runs, "final.train_accuracy")),
                        pct(stat(runs, "final.running_train_accuracy")),
                        pct(stat(runs, "final.test_accuracy")), p ? std::string(p->train) : "–"});
      }
      md += report::table({"model", "regularizer", "fit", "train acc (eval, whole set)",
                           "train acc (running, augmented batches)", "test acc", "paper train acc"},
                          rows);
      md +=
          "\nThe paper's training accuracy for the crop and augmentation rows is the running "
          "average over augmented minibatches; ours shows both.\n\n";
    }

    md += "## Runs\n\n";
    rows.clear();
    for (const SweepResult& r : outcome_.results) {
      const nlohmann::json& s = r.summary;
      rows.push_back(
          {fmt::format("`{}`", r.run.key), s.value("status", "?"),
           s.value("fit", false) ? "yes" : "**no**", std::to_string(s.value("epochs_completed", 0)),
           fmt::format("{:.1f}", s.value("seconds", 0.0)), r.reused ? "reused" : "trained"});
    }
    md += report::table({"run", "status", "fit", "epochs", "seconds", ""}, rows);
    write_file_atomically(root / "report.md", md);
  }

  Table1Options o_;
  std::vector<std::string> models_;
  std::vector<uint64_t> seeds_;
  std::vector<Row> rows_;
  SweepOutcome outcome_;
  std::map<std::string, const SweepResult*> by_key_;
};

}  // namespace

Command add_table1_command(CLI::App& app) {
  auto o = std::make_shared<Table1Options>();
  CLI::App* sub = app.add_subcommand(
      "table1",
      "Table 1 (regularizers on and off, random labels) and Table 4 (random labels "
      "with regularizers) beside the paper's numbers");
  add_sweep_flags(*sub, o->sweep, "runs/table1");
  sub->add_option("--models", o->models, "Models, comma-separated")->capture_default_str();
  sub->add_option("--grid", o->grid,
                  "paper (the paper's rows) or full (every model x random crop x weight decay, "
                  "and Table 4's rows for every model)")
      ->capture_default_str();
  sub->add_option("--weight-decay", o->weight_decay,
                  "Weight decay of the \"wd\" rows [default: 5e-4 for the convolutional models, "
                  "1e-4 for the MLPs]")
      ->check(positive());
  sub->add_option("--regularized-lr-decay", o->regularized_lr_decay,
                  "Table 4's crop and augmentation rows: lr factor per epoch (the paper raised "
                  "0.95 to 0.999 for them)")
      ->check(fraction())
      ->capture_default_str();
  sub->add_flag("--no-table4", o->no_table4, "Only Table 1");
  return {sub, [o] { return Table1(*o).run(); }};
}

}  // namespace rethink::cli
