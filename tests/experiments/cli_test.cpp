// The rethink command as a user meets it: exit statuses, messages, and the run directory.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/experiments/process.h"

namespace rethink {
namespace {
namespace fs = std::filesystem;
using rethink::testing::ProcessResult;
using rethink::testing::run_process;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("rethink-cli-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static ProcessResult rethink(std::vector<std::string> args,
                               const std::function<int(const std::string&)>& on_output = {}) {
    args.insert(args.begin(), RETHINK_BINARY);
    return run_process(args, on_output);
  }
  static nlohmann::json read_json(const fs::path& p) {
    std::ifstream in(p);
    return nlohmann::json::parse(in);
  }
  // A usage error: exit status 2 and one line naming what was wrong.
  static void expect_usage_error(const ProcessResult& r, const std::string& mentions) {
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find(mentions), std::string::npos) << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
    EXPECT_EQ(r.output.rfind("rethink: error: ", 0), 0u) << r.output;
  }

  fs::path dir_;
};

TEST_F(CliTest, FitMemorizes512RandomlyLabelledSamplesAndWritesTheRunDirectory) {
  const ProcessResult r = rethink({"fit", "--data", "synthetic:512,3,28,28,10", "--model",
                                   "mlp1x512", "--epochs", "40", "--until-fit", "--out",
                                   dir_.string(), "--threads", "2", "--seed", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json summary = read_json(dir_ / "summary.json");
  EXPECT_EQ(summary["status"], "fit");
  EXPECT_EQ(summary["final"]["train_accuracy"], 1.0);
  EXPECT_EQ(summary["fit"], true);
  EXPECT_GT(summary["steps_to_fit"].get<int>(), 0);

  const nlohmann::json config = read_json(dir_ / "config.json");
  EXPECT_EQ(config["settings"]["model"], "mlp1x512");
  EXPECT_EQ(config["settings"]["seed"], 3);
  EXPECT_EQ(config["settings"]["threads"], 2);
  EXPECT_EQ(config["settings"]["lr_decay_images"], 512);
  EXPECT_EQ(config["model"]["parameters"], 1209866);
  EXPECT_EQ(config["device"]["used"], "cpu");
  EXPECT_TRUE(config["system"]["build"].contains("commit"));

  std::ifstream metrics(dir_ / "metrics.csv");
  std::string header, line;
  std::getline(metrics, header);
  EXPECT_EQ(header.rfind("step,epoch,lr,train_loss,train_acc,full_train_loss", 0), 0u) << header;
  int rows = 0;
  while (std::getline(metrics, line)) ++rows;
  EXPECT_EQ(rows, summary["epochs_completed"].get<int>());
}

TEST_F(CliTest, HelpListsTheSubcommandsAndSucceeds) {
  const ProcessResult r = rethink({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* sub : {"fit", "info", "models"}) {
    EXPECT_NE(r.output.find(sub), std::string::npos) << r.output;
  }
  const ProcessResult fit_help = rethink({"fit", "--help"});
  EXPECT_EQ(fit_help.exit_code, 0);
  EXPECT_NE(fit_help.output.find("--lr-decay-images"), std::string::npos) << fit_help.output;
}

TEST_F(CliTest, InfoReportsTheBlasAndWhyThereIsNoGpu) {
  const ProcessResult r = rethink({"info"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("openmp threading"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("LAPACK"), std::string::npos) << r.output;
  EXPECT_TRUE(r.output.find("GPUs       none usable: ") != std::string::npos ||
              r.output.find("GPU 0") != std::string::npos)
      << r.output;
  const ProcessResult json = rethink({"info", "--json"});
  ASSERT_EQ(json.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(json.output)["blas"]["threading"], "openmp");
}

TEST_F(CliTest, ModelsPrintsThePaperParameterCounts) {
  const ProcessResult r = rethink({"models"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("1,209,866"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("1,735,178"), std::string::npos) << r.output;
}

TEST_F(CliTest, MissingSubcommandIsAUsageError) {
  expect_usage_error(rethink({}), "rethink --help");
}

TEST_F(CliTest, UnknownFlagIsAUsageErrorNamingIt) {
  expect_usage_error(rethink({"fit", "--bogus", "1"}), "--bogus");
}

TEST_F(CliTest, BadValuesAreUsageErrorsNamingTheFlag) {
  expect_usage_error(rethink({"fit", "--epochs", "-3"}), "--epochs");
  expect_usage_error(rethink({"fit", "--lr", "abc"}), "--lr");
  expect_usage_error(rethink({"fit", "--lr-schedule", "cosine"}), "--lr-schedule");
  expect_usage_error(rethink({"fit", "--device", "gpu7"}), "--device 'gpu7'");
  expect_usage_error(rethink({"fit", "--model", "resnet"}), "--model 'resnet'");
  expect_usage_error(rethink({"fit", "--data", "synthetic:5"}), "--data 'synthetic:5'");
  expect_usage_error(rethink({"models", "--input", "3,28"}), "--input '3,28'");
}

TEST_F(CliTest, AnExplicitGpuRequestWithoutAUsableGpuIsAUsageError) {
  const ProcessResult info = rethink({"info", "--json"});
  if (!nlohmann::json::parse(info.output)["gpus"]["devices"].empty()) {
    GTEST_SKIP() << "this machine has a usable GPU";
  }
  expect_usage_error(rethink({"fit", "--device", "cuda", "--out", dir_.string()}),
                     "no usable GPU");
}

TEST_F(CliTest, AFlagGivenTwiceTakesItsLastValue) {
  // scripts/demo appends the user's flags to its own defaults.
  const ProcessResult r =
      rethink({"fit", "--epochs", "1", "--epochs", "2", "--out", dir_.string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(read_json(dir_ / "summary.json")["epochs_completed"], 2);
}

TEST_F(CliTest, AnUnwritableRunDirectoryIsAUsageErrorNamingIt) {
  expect_usage_error(rethink({"fit", "--out", "/proc/rethink-not-here"}),
                     "'/proc/rethink-not-here'");
}

TEST_F(CliTest, AnExistingRunIsNotOverwrittenByDefault) {
  const std::vector<std::string> args = {"fit", "--epochs", "1", "--out", dir_.string()};
  ASSERT_EQ(rethink(args).exit_code, 0);
  expect_usage_error(rethink(args), "--overwrite");
}

TEST_F(CliTest, ADivergingRunStopsWithStatusOneAndSaysWhatToTry) {
  const ProcessResult r = rethink({"fit", "--lr", "1e30", "--epochs", "5", "--out",
                                   dir_.string()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("lower --lr"), std::string::npos) << r.output;
  EXPECT_EQ(read_json(dir_ / "summary.json")["status"], "diverged");
}

TEST_F(CliTest, CtrlCStopsTheRunCleanlyAndKeepsWhatItDid) {
  // Enough epochs that the run is still going when the first epoch line arrives.
  const ProcessResult r = rethink(
      {"fit", "--data", "synthetic:2048,3,28,28,10", "--epochs", "500", "--out", dir_.string()},
      [](const std::string& out) { return out.find("epoch    1/") != std::string::npos ? SIGINT : 0; });
  EXPECT_EQ(r.exit_code, 130) << r.output;
  const nlohmann::json summary = read_json(dir_ / "summary.json");
  EXPECT_EQ(summary["status"], "interrupted");
  EXPECT_GE(summary["epochs_completed"].get<int>(), 1);
  EXPECT_LT(summary["epochs_completed"].get<int>(), 500);
}

}  // namespace
}  // namespace rethink
