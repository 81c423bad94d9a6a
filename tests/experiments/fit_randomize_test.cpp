// rethink fit with each randomization test and augmentation: it trains end to end and records
// what was realized in config.json.
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

class FitRandomizeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("rethink-fit-randomize-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // One epoch of the MLP on 64 synthetic 32x32x3 images (center-cropped to 28x28).
  ProcessResult fit(const std::string& name, std::vector<std::string> extra) const {
    std::vector<std::string> args = {
        RETHINK_BINARY, "fit",      "--data",    "synthetic:64,3,32,32,10",
        "--model",      "mlp1x512", "--epochs",  "1",
        "--batch",      "32",       "--threads", "2",
        "--seed",       "5",        "--out",     (dir_ / name).string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_process(args);
  }
  nlohmann::json config(const std::string& name) const {
    std::ifstream in(dir_ / name / "config.json");
    return nlohmann::json::parse(in);
  }

  fs::path dir_;
};

TEST_F(FitRandomizeTest, EveryRandomizationTrainsAndRecordsWhatItRealized) {
  for (const char* mode : {"none", "partial-labels", "random-labels", "shuffled-pixels",
                           "random-pixels", "gaussian"}) {
    std::vector<std::string> extra = {"--randomize", mode, "--augment", "crop,flip"};
    if (std::string(mode) == "partial-labels") {
      extra.insert(extra.end(), {"--corrupt-prob", "0.5", "--corrupt-test"});
    }
    const ProcessResult r = fit(mode, extra);
    ASSERT_EQ(r.exit_code, 0) << mode << "\n" << r.output;
    const nlohmann::json c = config(mode);
    EXPECT_EQ(c["randomize"]["mode"], mode);
    EXPECT_EQ(c["randomize"]["seed"], 5);
    EXPECT_EQ(c["augment"]["spec"], "crop,flip");
    EXPECT_EQ(c["preprocess"]["center_crop"], nlohmann::json({28, 28}));
    const std::string m = mode;
    if (m == "partial-labels") {
      EXPECT_EQ(c["randomize"]["corrupt_prob"], 0.5);
      EXPECT_EQ(c["randomize"]["train"]["labels"], 64);
      EXPECT_GT(c["randomize"]["train"]["changed"].get<int>(), 10);
      EXPECT_EQ(c["randomize"]["test"]["labels"], 13);
    } else if (m == "random-labels") {
      EXPECT_EQ(c["randomize"]["corrupt_prob"], 1.0);
      EXPECT_EQ(c["randomize"]["train"]["redrawn"], 64);
      EXPECT_EQ(c["randomize"]["test"], "clean");
    } else if (m != "none") {
      EXPECT_EQ(c["randomize"]["stored_center_crop"]["to"], nlohmann::json({28, 28})) << m;
      EXPECT_EQ(c["preprocess"]["stored"]["shape_hwc"], nlohmann::json({28, 28, 3})) << m;
    }
    if (m == "gaussian") {
      EXPECT_EQ(c["randomize"]["channel_mean"].size(), 3u);
    }
  }
}

TEST_F(FitRandomizeTest, FlagsThatDoNotGoTogetherAreUsageErrorsNamingTheFlag) {
  const struct {
    std::vector<std::string> args;
    const char* mentions;
  } cases[] = {
      {{"--randomize", "partial-labels"}, "--corrupt-prob"},
      {{"--randomize", "random-labels", "--corrupt-prob", "0.3"}, "--corrupt-prob"},
      {{"--randomize", "gaussian", "--corrupt-test"}, "--corrupt-test"},
      {{"--corrupt-prob", "0.3"}, "--corrupt-prob applies to --randomize partial-labels"},
      {{"--randomize", "partial-labels", "--corrupt-prob", "1.5"}, "--corrupt-prob"},
      {{"--randomize", "partial-labels", "--corrupt-prob", "-0.1"}, "--corrupt-prob"},
      {{"--randomize", "random"}, "--randomize"},
      {{"--augment", "crop,zoom"}, "zoom"},
  };
  for (const auto& c : cases) {
    const ProcessResult r = fit("bad", c.args);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find(c.mentions), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(dir_ / "bad" / "config.json")) << r.output;
  }
}

}  // namespace
}  // namespace rethink
