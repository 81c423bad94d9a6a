// figure1, table1 and eval end to end on tiny synthetic data, through the rethink binary: the
// CSVs, the plots (or the message saying why there are none), the report, reuse of finished
// runs, and the errors of their flags.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/experiments/process.h"

namespace rethink {
namespace {
namespace fs = std::filesystem;
using rethink::testing::ProcessResult;
using rethink::testing::run_process;

class SweepCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("rethink-sweep-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override {
    ::unsetenv("RETHINK_PYTHON");
    fs::remove_all(dir_);
  }

  static ProcessResult rethink(std::vector<std::string> args) {
    args.insert(args.begin(), RETHINK_BINARY);
    return run_process(args);
  }
  // The tiny recipe: 128 synthetic images that an MLP fits in a few epochs.
  std::vector<std::string> tiny(std::vector<std::string> args) const {
    for (const char* a : {"--data", "synthetic:128,1,8,8,10", "--epochs", "40", "--lr", "0.05",
                          "--lr-decay", "1", "--threads", "1", "--out"}) {
      args.emplace_back(a);
    }
    args.push_back(dir_.string());
    return args;
  }
  static std::string read(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  static std::vector<std::string> lines(const fs::path& p) {
    std::vector<std::string> out;
    std::ifstream in(p);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }
  static void expect_has(const std::string& text, const std::string& part) {
    EXPECT_NE(text.find(part), std::string::npos) << "no '" << part << "' in:\n" << text;
  }
  static void expect_refused(const ProcessResult& r, const std::string& says) {
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_EQ(r.output.rfind("rethink: error: ", 0), 0u) << r.output;
    expect_has(r.output, says);
  }

  fs::path dir_;
};

TEST_F(SweepCliTest, Figure1WritesItsCsvsPlotsAndReportAndReusesFinishedRuns) {
  const std::vector<std::string> args =
      tiny({"figure1", "--conditions", "true-labels,random-labels,random-pixels", "--corruptions",
            "0,0.5,1", "--seeds", "1,2"});
  const ProcessResult r = rethink(args);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // 2 seeds x (3 panel-a conditions + p = 0.5; p = 0 and 1 are panel a's true and random labels)
  expect_has(r.output, "[8/8]");
  expect_has(r.output, "steps to fit");

  // figure1b/c: one row per p; figure1a: one per condition; curves and norms per evaluation.
  EXPECT_EQ(lines(dir_ / "figure1a.csv").size(), 1u + 3);
  EXPECT_EQ(lines(dir_ / "figure1b.csv").size(), 1u + 3);
  EXPECT_EQ(lines(dir_ / "figure1c.csv").size(), 1u + 3);
  EXPECT_GT(lines(dir_ / "figure1a_curves.csv").size(), 6u);
  EXPECT_GT(lines(dir_ / "figure1b_grad_norm.csv").size(), 6u);
  EXPECT_EQ(lines(dir_ / "figure1b.csv")[1].rfind("mlp1x512,0,2,2,", 0), 0u)
      << lines(dir_ / "figure1b.csv")[1];
  // Relative to p = 0, p = 0 itself is exactly 1 with no spread.
  expect_has(lines(dir_ / "figure1b.csv")[1], ",1,0,");

  const std::string report = read(dir_ / "report.md");
  for (const char* part :
       {"## (a) Learning curves", "## (b) Convergence slowdown", "## (c) Test error", "## Runs",
        "synthetic", "Seeds: 1, 2", "Device: cpu", "paper", "49.49%", "89.39%", "seed-2"}) {
    expect_has(report, part);
  }
  // Plots where matplotlib is installed; otherwise the message says how to get them.
  if (r.output.find("plots in ") != std::string::npos) {
    for (const char* png : {"figure1a.png", "figure1b.png", "figure1c.png"}) {
      EXPECT_TRUE(fs::exists(dir_ / "plots" / png)) << png;
    }
  } else {
    expect_has(r.output, "plots skipped");
    expect_has(r.output, "python3-matplotlib");
  }

  // Again: every run is reused, nothing trains.
  const ProcessResult again = rethink(args);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(std::count(again.output.begin(), again.output.end(), '\n') > 8, true);
  size_t reused = 0;
  for (size_t at = 0; (at = again.output.find("(reused)", at)) != std::string::npos; ++at) ++reused;
  EXPECT_EQ(reused, 8u) << again.output;
}

TEST_F(SweepCliTest, Figure1WithoutMatplotlibSaysSoAndKeepsTheCsvs) {
  ::setenv("RETHINK_PYTHON", "/nonexistent/python3", 1);
  const ProcessResult r =
      rethink(tiny({"figure1", "--panels", "c", "--corruptions", "0,1", "--epochs", "2"}));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  expect_has(r.output, "plots skipped: no Python at /nonexistent/python3");
  expect_has(r.output, "apt-get install python3-matplotlib");
  EXPECT_TRUE(fs::exists(dir_ / "figure1c.csv"));
  EXPECT_FALSE(fs::exists(dir_ / "figure1a.csv"));
  expect_has(read(dir_ / "report.md"), "plots skipped");
}

TEST_F(SweepCliTest, Figure1RefusesARunFolderMadeWithOtherSettings) {
  ASSERT_EQ(rethink(tiny({"figure1", "--panels", "c", "--corruptions", "0", "--epochs", "2",
                          "--no-plots"}))
                .exit_code,
            0);
  expect_refused(rethink(tiny({"figure1", "--panels", "c", "--corruptions", "0", "--epochs", "2",
                               "--batch", "64", "--no-plots"})),
                 "--batch");
}

TEST_F(SweepCliTest, Figure1FlagErrorsExitTwoNamingTheFlag) {
  expect_refused(rethink(tiny({"figure1", "--corruptions", "0,1.5"})), "--corruptions");
  expect_refused(rethink(tiny({"figure1", "--corruptions", "0.2,1"})), "must include 0");
  expect_refused(rethink(tiny({"figure1", "--seeds", "1,x"})), "--seeds");
  expect_refused(rethink(tiny({"figure1", "--panels", "d"})), "--panels");
  expect_refused(rethink(tiny({"figure1", "--conditions", "noisy"})), "--conditions");
  expect_refused(rethink(tiny({"figure1", "--models", "resnet"})), "--models");
  EXPECT_FALSE(fs::exists(dir_ / "runs"));
}

TEST_F(SweepCliTest, Table1WritesBothTablesBesideThePapersNumbers) {
  const ProcessResult r =
      rethink(tiny({"table1", "--models", "mlp1x512", "--epochs", "3", "--no-plots"}));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // Table 1: wd on and off, random labels; Table 4: random labels + weight decay.
  EXPECT_EQ(lines(dir_ / "table1.csv").size(), 1u + 3);
  EXPECT_EQ(lines(dir_ / "table4.csv").size(), 1u + 1);
  const std::string report = read(dir_ / "report.md");
  for (const char* part : {"## Table 1", "## Table 4", "MLP 1x512", "50.51%", "99.21%",
                           "best test acc so far", "synthetic", "Seeds: 1", "## Runs"}) {
    expect_has(report, part);
  }
  expect_refused(rethink(tiny({"table1", "--grid", "half"})), "--grid");
}

TEST_F(SweepCliTest, EvalOfARunMeasuresItOnItsOwnData) {
  const std::string run = (dir_ / "run").string();
  ASSERT_EQ(rethink({"fit", "--data", "synthetic:128,1,8,8,10", "--randomize", "random-labels",
                     "--epochs", "3", "--threads", "1", "--out", run})
                .exit_code,
            0);
  std::ifstream in(dir_ / "run" / "summary.json");
  const nlohmann::json summary = nlohmann::json::parse(in);
  const ProcessResult r = rethink({"eval", "--checkpoint", run, "--json", "--threads", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json e = nlohmann::json::parse(r.output);
  EXPECT_EQ(e["randomize"], "random-labels");
  EXPECT_DOUBLE_EQ(e["train"]["accuracy"].get<double>(),
                   summary["final"]["train_accuracy"].get<double>());
  EXPECT_DOUBLE_EQ(e["test"]["accuracy"].get<double>(),
                   summary["final"]["test_accuracy"].get<double>());

  // On corrupted test labels the test split changes, the training split does not.
  const ProcessResult c =
      rethink({"eval", "--checkpoint", run, "--json", "--randomize", "partial-labels",
               "--corrupt-prob", "1", "--corrupt-test", "--seed", "99"});
  ASSERT_EQ(c.exit_code, 0) << c.output;
  const nlohmann::json ec = nlohmann::json::parse(c.output);
  EXPECT_EQ(ec["test_labels"], "corrupted");
  EXPECT_NE(ec["test"]["correct"], e["test"]["correct"]);

  // A weights file alone: the model comes from its metadata; the text table.
  const ProcessResult w = rethink({"eval", "--checkpoint", run + "/checkpoints", "--split", "test",
                                   "--data", "synthetic:128,1,8,8,10"});
  EXPECT_EQ(w.exit_code, 2) << w.output;  // a checkpoints/ folder is neither
  fs::path weights;
  for (const auto& entry : fs::recursive_directory_iterator(dir_ / "run" / "checkpoints")) {
    if (entry.path().filename() == "weights.safetensors") weights = entry.path();
  }
  fs::copy_file(weights, dir_ / "w.safetensors");
  const ProcessResult t = rethink({"eval", "--checkpoint", (dir_ / "w.safetensors").string(),
                                   "--data", "synthetic:128,1,8,8,10", "--split", "test"});
  ASSERT_EQ(t.exit_code, 0) << t.output;
  expect_has(t.output, "mlp1x512");
  expect_has(t.output, "test ");
  EXPECT_EQ(t.output.find("train "), std::string::npos) << t.output;
}

TEST_F(SweepCliTest, EvalErrorsExitTwo) {
  expect_refused(rethink({"eval", "--checkpoint", (dir_ / "missing").string()}), "no such file");
  const std::string run = (dir_ / "run").string();
  ASSERT_EQ(
      rethink({"fit", "--data", "synthetic:64,1,8,8,10", "--epochs", "1", "--out", run}).exit_code,
      0);
  expect_refused(rethink({"eval", "--checkpoint", run, "--data", "synthetic:64,3,8,8,10"}),
                 "trained on 1,8,8");
  expect_refused(rethink({"eval", "--checkpoint", run, "--model", "mlp3x512"}), "mlp1x512");
}

}  // namespace
}  // namespace rethink
