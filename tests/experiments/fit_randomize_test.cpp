// rethink fit with each randomization test and augmentation: it trains end to end and records
// what was realized in config.json.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/experiments/process.h"
#include "tests/support/shared_data.h"

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

// A few classes of the shared CIFAR-10 JPEGs, unpacked into the test's folder, trained on end
// to end as an image folder: decoded and cached by the first run, read from the cache by the
// second.
TEST_F(FitRandomizeTest, TheSharedCifar10JpegsTrainAsAnImageFolder) {
  const std::optional<fs::path> archive = test::shared_cifar10_jpeg();
  if (!archive) GTEST_SKIP() << test::kNoSharedCifar10;
  fs::create_directories(dir_ / "cifar");
  test::unpack(*archive, dir_ / "cifar",
               {"train/bird/00[0-2]?.jpg", "train/cat/00[0-2]?.jpg", "train/ship/00[0-2]?.jpg",
                "test/bird/000?.jpg", "test/cat/000?.jpg", "test/ship/000?.jpg"});
  ::setenv("RETHINK_CACHE_DIR", (dir_ / "cache").c_str(), 1);
  for (const char* run : {"decoded", "cached"}) {
    const ProcessResult r =
        run_process({RETHINK_BINARY, "fit", "--data", "imagefolder:" + (dir_ / "cifar").string(),
                     "--epochs", "1", "--batch", "32", "--threads", "2", "--randomize",
                     "random-labels", "--augment", "crop,flip", "--out", (dir_ / run).string()});
    ASSERT_EQ(r.exit_code, 0) << run << "\n" << r.output;
    const nlohmann::json c = config(run);
    EXPECT_EQ(c["dataset"]["kind"], "imagefolder");
    EXPECT_EQ(c["dataset"]["train_size"], 90);
    EXPECT_EQ(c["dataset"]["test_size"], 30);
    EXPECT_EQ(c["dataset"]["classes"], 3);
    EXPECT_EQ(c["dataset"]["image_shape"], nlohmann::json({3, 32, 32}));
  }
  ::unsetenv("RETHINK_CACHE_DIR");
  int caches = 0;
  for (const auto& e : fs::directory_iterator(dir_ / "cache")) caches += e.is_regular_file();
  EXPECT_EQ(caches, 1);
}

}  // namespace
}  // namespace rethink
