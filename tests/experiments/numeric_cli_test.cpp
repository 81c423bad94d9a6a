// rethink expressivity and rethink kernel as a user runs them.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/datasets/reader_files.h"
#include "tests/experiments/process.h"

namespace rethink {
namespace {
namespace fs = std::filesystem;
using rethink::testing::ProcessResult;
using rethink::testing::run_process;

ProcessResult rethink_cli(std::vector<std::string> args) {
  args.insert(args.begin(), RETHINK_BINARY);
  return run_process(args);
}

nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

void expect_usage_error(const ProcessResult& r, const std::string& mentions) {
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(mentions), std::string::npos) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
}

// An IDX data set of 4x4 grey images where training image 5 repeats image 1 with another label.
void write_idx_with_a_conflict(const fs::path& dir) {
  const uint32_t n = 8, m = 2;
  std::vector<uint8_t> images = test::pattern(n * 16, 1);
  std::copy_n(images.begin() + 16, 16, images.begin() + 5 * 16);
  const std::vector<uint8_t> labels = {0, 1, 2, 3, 4, 6, 6, 7};
  test::write_bytes(dir / "train-images-idx3-ubyte", test::idx_bytes({n, 4, 4}, images));
  test::write_bytes(dir / "train-labels-idx1-ubyte", test::idx_bytes({n}, labels));
  test::write_bytes(dir / "t10k-images-idx3-ubyte", test::idx_bytes({m, 4, 4}, test::pattern(m * 16, 2)));
  test::write_bytes(dir / "t10k-labels-idx1-ubyte", test::idx_bytes({m}, {0, 1}));
}

TEST(ExpressivityCli, FitsRandomLabelsExactlyAndCountsTwoNPlusDWeights) {
  const test::TempDir tmp;
  const ProcessResult r = rethink_cli({"expressivity", "--data", "synthetic:1500,1,8,8,10",
                                       "--labels", "random", "--out", (tmp / "run").string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("rounded fit 1,500 / 1,500 = 100.00%"), std::string::npos) << r.output;
  const nlohmann::json s = read_json(tmp / "run" / "summary.json");
  EXPECT_EQ(s["weights"], 2 * 1500 + 64);
  EXPECT_EQ(s["rounded_accuracy"], 1.0);
  EXPECT_LT(s["max_abs_error"].get<double>(), 1e-3);
  EXPECT_EQ(read_json(tmp / "run" / "config.json")["settings"]["labels"], "random");
}

TEST(ExpressivityCli, RepeatedPointsWithDifferentLabelsAreRefusedUnlessAllowed) {
  const test::TempDir tmp;
  write_idx_with_a_conflict(tmp / "data");
  const std::string data = "idx:" + (tmp / "data").string();
  expect_usage_error(rethink_cli({"expressivity", "--data", data, "--labels", "true", "--out",
                                  (tmp / "refused").string()}),
                     "point 5 equals point 1");
  EXPECT_FALSE(fs::exists(tmp / "refused"));  // refused before any work

  const ProcessResult r = rethink_cli({"expressivity", "--data", data, "--labels", "true",
                                       "--allow-conflicts", "--out", (tmp / "run").string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json s = read_json(tmp / "run" / "summary.json");
  EXPECT_EQ(s["distinct_points"], 7);
  EXPECT_EQ(s["conflicting_repeats"], 1);
  EXPECT_EQ(s["rounded_correct"], 7);  // all but the conflicting repeat
}

TEST(ExpressivityCli, BadFlagsAreUsageErrors) {
  expect_usage_error(rethink_cli({"expressivity", "--labels", "shuffled"}), "--labels");
  expect_usage_error(rethink_cli({"expressivity", "--thresholds", "middle"}), "--thresholds");
}

TEST(KernelCli, InterpolatesTheTrainingSetAndReportsTestErrorAndNorm) {
  const test::TempDir tmp;
  const ProcessResult r =
      rethink_cli({"kernel", "--data", "synthetic:400,1,6,6,3", "--gamma", "0.05", "--out",
                   (tmp / "run").string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json s = read_json(tmp / "run" / "summary.json");
  EXPECT_EQ(s["train_size"], 400);
  EXPECT_EQ(s["test_size"], 80);
  EXPECT_EQ(s["solver"], "cholesky");
  EXPECT_EQ(s["train_error"], 0.0);
  EXPECT_GT(s["rkhs_norm"].get<double>(), 0);
  // Random labels on Gaussian points: nothing to generalize from.
  EXPECT_GT(s["test_error"].get<double>(), 0.4);
  EXPECT_EQ(read_json(tmp / "run" / "config.json")["settings"]["gamma"], 0.05);
}

TEST(KernelCli, BadFlagsAreUsageErrors) {
  expect_usage_error(rethink_cli({"kernel", "--gamma", "0"}), "--gamma");
  expect_usage_error(rethink_cli({"kernel", "--ridge", "-1"}), "--ridge");
  expect_usage_error(rethink_cli({"kernel", "--device", "gpu"}), "--device 'gpu'");
}

TEST(KernelCli, RecordsTheDeviceAndRefusesOneThatIsNotThere) {
  const test::TempDir tmp;
  const ProcessResult r = rethink_cli({"kernel", "--data", "synthetic:100,1,4,4,3", "--device",
                                       "cpu", "--out", (tmp / "run").string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("device cpu (requested)"), std::string::npos) << r.output;
  const nlohmann::json config = read_json(tmp / "run" / "config.json");
  EXPECT_EQ(config["device"]["requested"], "cpu");
  EXPECT_EQ(config["device"]["used"], "cpu");
  EXPECT_EQ(config["settings"]["device"], "cpu");
  // No machine here has eight GPUs: without one the reason, with fewer the count.
  expect_usage_error(rethink_cli({"kernel", "--data", "synthetic:100,1,4,4,3", "--device",
                                  "cuda:7", "--out", (tmp / "refused").string()}),
                     "--device cuda:7");
  EXPECT_FALSE(fs::exists(tmp / "refused"));  // refused before any work
}

TEST(RademacherCli, AnMlpCorrelatesPerfectlyWithRandomSigns) {
  const test::TempDir tmp;
  const ProcessResult r =
      rethink_cli({"rademacher", "--data", "synthetic:300,1,8,8,10", "--subset", "300",
                   "--draws", "2", "--epochs", "100", "--lr", "0.05", "--out", (tmp / "run").string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json s = read_json(tmp / "run" / "summary.json");
  EXPECT_EQ(s["n"], 300);
  ASSERT_EQ(s["draws"].size(), 2u);
  for (const auto& d : s["draws"]) {
    EXPECT_EQ(d["fit"], true);
    EXPECT_DOUBLE_EQ(d["correlation"].get<double>(), 2 * d["train_accuracy"].get<double>() - 1);
  }
  EXPECT_EQ(s["rademacher_lower_bound"], 1.0);
  // Different draws are different sign vectors: the two fits took their own paths.
  EXPECT_NE(s["draws"][0]["steps"], s["draws"][1]["steps"]);
}

TEST(RademacherCli, AnUnknownModelIsRefusedBeforeAnyWork) {
  const test::TempDir tmp;
  expect_usage_error(rethink_cli({"rademacher", "--model", "resnet", "--data",
                                  "synthetic:50,1,4,4,2", "--out", (tmp / "run").string()}),
                     "resnet");
  EXPECT_FALSE(fs::exists(tmp / "run"));
}

}  // namespace
}  // namespace rethink
