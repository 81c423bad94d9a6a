// The rethink command as a user meets it: exit statuses, messages, and the run directory.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "tests/experiments/process.h"

namespace rethink {
namespace {
namespace fs = std::filesystem;
using rethink::testing::ProcessResult;
using rethink::testing::run_process;

// Small enough that a run costs well under a second.
constexpr const char* kTiny = "synthetic:256,1,8,8,10";

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
  const ProcessResult r =
      rethink({"fit", "--data", "synthetic:512,3,28,28,10", "--model", "mlp1x512", "--epochs", "40",
               "--until-fit", "--out", dir_.string(), "--threads", "2", "--seed", "3"});
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

TEST_F(CliTest, FitProfileWritesAndPrintsTheTimePerPhase) {
  const ProcessResult r = rethink({"fit", "--data", kTiny, "--epochs", "2", "--profile",
                                   "--progress", "lines", "--out", dir_.string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json profile = read_json(dir_ / "summary.json")["profile"];
  EXPECT_EQ(profile["steps"], 2 * 2);  // 256 images in batches of 128
  EXPECT_EQ(profile["evaluations"], 2);
  for (const char* phase : {"data", "forward", "backward", "update", "evaluation"}) {
    EXPECT_GT(profile["phases"][phase]["seconds"].get<double>(), 0) << phase;
  }
  EXPECT_EQ(profile["launches_per_step"], 0.0);  // on the CPU
  EXPECT_GT(profile["peak_host_rss_mib"].get<double>(), 1.0);
  EXPECT_NE(r.output.find("profile: 4 steps"), std::string::npos) << r.output;
  EXPECT_TRUE(std::regex_search(r.output, std::regex("\\n  backward +[0-9.]+ s +[0-9.]+%")))
      << r.output;
  // Without --profile there is no profile.
  const ProcessResult plain =
      rethink({"fit", "--data", kTiny, "--epochs", "1", "--out", (dir_ / "plain").string()});
  ASSERT_EQ(plain.exit_code, 0) << plain.output;
  EXPECT_FALSE(read_json(dir_ / "plain" / "summary.json").contains("profile"));
  EXPECT_EQ(plain.output.find("profile:"), std::string::npos) << plain.output;
}

TEST_F(CliTest, HelpListsTheSubcommandsAndSucceeds) {
  const ProcessResult r = rethink({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* sub : {"fit", "eval", "figure1", "table1", "info", "models"}) {
    EXPECT_NE(r.output.find(sub), std::string::npos) << r.output;
  }
  const ProcessResult fit_help = rethink({"fit", "--threads", "1", "--help"});
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
  EXPECT_NE(r.output.find("conv2d     "), std::string::npos) << r.output;
  EXPECT_TRUE(nlohmann::json::parse(json.output)["cpu_conv2d"].is_string()) << json.output;
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
  expect_usage_error(rethink({"fit", "--threads", "1", "--bogus", "1"}), "--bogus");
}

TEST_F(CliTest, BadValuesAreUsageErrorsNamingTheFlag) {
  expect_usage_error(rethink({"fit", "--threads", "1", "--epochs", "-3"}), "--epochs");
  expect_usage_error(rethink({"fit", "--threads", "1", "--lr", "abc"}), "--lr");
  expect_usage_error(rethink({"fit", "--threads", "1", "--lr-schedule", "cosine"}),
                     "--lr-schedule");
  expect_usage_error(rethink({"fit", "--threads", "1", "--device", "gpu7"}), "--device 'gpu7'");
  expect_usage_error(rethink({"fit", "--threads", "1", "--model", "resnet"}), "--model 'resnet'");
  expect_usage_error(rethink({"fit", "--threads", "1", "--data", "synthetic:5"}),
                     "--data 'synthetic:5'");
  expect_usage_error(rethink({"models", "--input", "3,28"}), "--input '3,28'");
}

TEST_F(CliTest, AnExplicitGpuRequestWithoutAUsableGpuIsAUsageError) {
  const ProcessResult info = rethink({"info", "--json"});
  if (!nlohmann::json::parse(info.output)["gpus"]["devices"].empty()) {
    GTEST_SKIP() << "this machine has a usable GPU";
  }
  expect_usage_error(rethink({"fit", "--threads", "1", "--device", "cuda", "--out", dir_.string()}),
                     "no usable GPU");
}

TEST_F(CliTest, AFlagGivenTwiceTakesItsLastValue) {
  // scripts/demo appends the user's flags to its own defaults.
  const ProcessResult r = rethink({"fit", "--threads", "1", "--data", kTiny, "--epochs", "1",
                                   "--epochs", "2", "--out", dir_.string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(read_json(dir_ / "summary.json")["epochs_completed"], 2);
}

TEST_F(CliTest, AnUnwritableRunDirectoryIsAUsageErrorNamingIt) {
  expect_usage_error(rethink({"fit", "--threads", "1", "--out", "/proc/rethink-not-here"}),
                     "'/proc/rethink-not-here'");
}

TEST_F(CliTest, AnExistingRunIsNotOverwrittenByDefault) {
  const std::vector<std::string> args = {"fit",      "--threads", "1",     "--data",     kTiny,
                                         "--epochs", "1",         "--out", dir_.string()};
  ASSERT_EQ(rethink(args).exit_code, 0);
  expect_usage_error(rethink(args), "--overwrite");
}

TEST_F(CliTest, ADivergingRunStopsWithStatusOneAndSaysWhatToTry) {
  const ProcessResult r = rethink({"fit", "--threads", "1", "--data", kTiny, "--lr", "1e30",
                                   "--epochs", "5", "--out", dir_.string()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("lower --lr"), std::string::npos) << r.output;
  EXPECT_EQ(read_json(dir_ / "summary.json")["status"], "diverged");
}

TEST_F(CliTest, UntilFitStopsAtTheEvaluationThatFitAndRecordsIt) {
  const ProcessResult r =
      rethink({"fit", "--data", kTiny, "--lr", "0.05", "--epochs", "60", "--until-fit",
               "--eval-every", "2", "--threads", "1", "--out", dir_.string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json s = read_json(dir_ / "summary.json");
  ASSERT_EQ(s["status"], "fit") << r.output;
  EXPECT_EQ(s["fit_epoch"], s["epochs_completed"]);
  EXPECT_EQ(s["fit_epoch"].get<int>() % 2, 0);  // fits are noticed at evaluations
  EXPECT_EQ(s["steps_to_fit"], s["steps"]);
  EXPECT_LT(s["epochs_completed"].get<int>(), 60);
  EXPECT_GT(s["train_seconds_to_fit"].get<double>(), 0);
  EXPECT_GT(s["peak_host_memory_mib"].get<double>(), 0);
  // The last row of metrics.csv is the evaluation that fit.
  std::ifstream metrics(dir_ / "metrics.csv");
  std::string line, last;
  while (std::getline(metrics, line)) last = line;
  EXPECT_EQ(last.rfind(std::to_string(s["steps_to_fit"].get<int>()) + "," +
                           std::to_string(s["fit_epoch"].get<int>()) + ",",
                       0),
            0u)
      << last;
}

TEST_F(CliTest, TheLearningRateDefaultsToThePapersPerModel) {
  ASSERT_EQ(
      rethink({"fit", "--threads", "1", "--data", kTiny, "--epochs", "1", "--out", dir_.string()})
          .exit_code,
      0);
  EXPECT_EQ(read_json(dir_ / "config.json")["flags"]["lr"], 0.01);
  ASSERT_EQ(rethink({"fit", "--threads", "1", "--data", "synthetic:16,1,28,28,10", "--model",
                     "inception", "--epochs", "1", "--out", (dir_ / "i").string()})
                .exit_code,
            0);
  EXPECT_EQ(read_json(dir_ / "i" / "config.json")["flags"]["lr"], 0.1);
}

TEST_F(CliTest, DropoutAndMathAreRecordedInTheConfig) {
  const ProcessResult r =
      rethink({"fit", "--threads", "1", "--data", kTiny, "--epochs", "1", "--dropout", "0.5",
               "--math", "tf32", "--device", "cpu", "--out", dir_.string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("--math tf32 applies to GPU math only"), std::string::npos) << r.output;
  const nlohmann::json config = read_json(dir_ / "config.json");
  EXPECT_EQ(config["model"]["dropout"], 0.5);
  EXPECT_EQ(config["math"]["requested"], "tf32");
  EXPECT_EQ(config["math"]["effective"], "fp32");
  EXPECT_TRUE(std::regex_match(config["started_utc"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")))
      << config["started_utc"];
  expect_usage_error(rethink({"fit", "--threads", "1", "--dropout", "1"}), "--dropout");
  expect_usage_error(rethink({"fit", "--threads", "1", "--math", "fp16"}), "--math");
}

TEST_F(CliTest, AConfigFileSetsFlagsThatTheCommandLineOverrides) {
  fs::create_directories(dir_);
  const fs::path file = dir_ / "recipe.json";
  std::ofstream(file) << R"({"data": "synthetic:64,1,8,8,10", "epochs": 3, "lr": 0.02,
                             "until_fit": false, "seed": 9})";
  const ProcessResult r = rethink({"fit", "--threads", "1", "--config", file.string(), "--epochs",
                                   "2", "--out", (dir_ / "a").string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json flags = read_json(dir_ / "a" / "config.json")["flags"];
  EXPECT_EQ(flags["epochs"], 2);
  EXPECT_EQ(flags["lr"], 0.02);
  EXPECT_EQ(flags["seed"], 9);
  EXPECT_EQ(flags["data"], "synthetic:64,1,8,8,10");

  // A run's config.json repeats the run.
  ASSERT_EQ(rethink({"fit", "--threads", "1", "--config", (dir_ / "a" / "config.json").string(),
                     "--out", (dir_ / "b").string()})
                .exit_code,
            0);
  EXPECT_EQ(read_json(dir_ / "b" / "summary.json")["final"],
            read_json(dir_ / "a" / "summary.json")["final"]);

  std::ofstream(file) << R"({"epochs": 0})";
  expect_usage_error(rethink({"fit", "--threads", "1", "--config", file.string()}), "'epochs'");
  std::ofstream(file) << R"({"learning-rate": 0.1})";
  expect_usage_error(rethink({"fit", "--threads", "1", "--config", file.string()}),
                     file.string() + ": 'learning-rate'");
  expect_usage_error(rethink({"fit", "--threads", "1", "--config", (dir_ / "none.json").string()}),
                     "cannot open");
}

TEST_F(CliTest, AProgressBarIsDrawnInPlaceWhenAsked) {
  const ProcessResult bar = rethink({"fit", "--threads", "1", "--data", "synthetic:4096,1,8,8,10",
                                     "--epochs", "2", "--progress", "bar", "--out", dir_.string()});
  ASSERT_EQ(bar.exit_code, 0) << bar.output;
  EXPECT_NE(bar.output.find("\r\033[K"), std::string::npos);
  EXPECT_NE(bar.output.find("ETA "), std::string::npos) << bar.output;
  EXPECT_NE(bar.output.find("epoch    2/2"), std::string::npos) << bar.output;
  // Not a terminal (this pipe): plain lines, no carriage returns.
  const ProcessResult lines = rethink(
      {"fit", "--threads", "1", "--data", kTiny, "--epochs", "2", "--out", (dir_ / "b").string()});
  EXPECT_EQ(lines.output.find('\r'), std::string::npos);
}

}  // namespace
}  // namespace rethink
