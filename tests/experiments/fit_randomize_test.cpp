// rethink fit with each randomization test and augmentation: it trains end to end and records
// what was realized in config.json.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "datasets/dataset.h"
#include "tests/datasets/reader_files.h"
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

// Every --data source `fit` reads from files, on small ones written here (raw and gzipped IDX,
// CIFAR-10 batches, PNG and JPEG folders), and Fashion-MNIST from Debian's package (a subset).
TEST_F(FitRandomizeTest, EveryFileDataSourceTrainsEndToEnd) {
  const fs::path idx = dir_ / "idx", cifar = dir_ / "cifar", folder = dir_ / "folder";
  test::write_bytes(idx / "train-images-idx3-ubyte.gz",
                    test::gzip_bytes(test::idx_bytes({40, 28, 28}, test::pattern(40 * 784, 1))));
  // Labels up to 255: an idx folder has as many classes as its largest training label + 1.
  test::write_bytes(idx / "train-labels-idx1-ubyte", test::idx_bytes({40}, test::pattern(40, 2)));
  test::write_bytes(idx / "t10k-images-idx3-ubyte",
                    test::idx_bytes({8, 28, 28}, test::pattern(8 * 784, 3)));
  test::write_bytes(idx / "t10k-labels-idx1-ubyte", test::idx_bytes({8}, std::vector<uint8_t>(8)));
  for (int b = 1; b <= 6; ++b) {
    std::vector<uint8_t> bytes;
    for (int r = 0; r < 8; ++r) {
      bytes.push_back(static_cast<uint8_t>((b + r) % 10));
      const std::vector<uint8_t> chw = test::pattern(3072, static_cast<uint32_t>(b * 10 + r));
      bytes.insert(bytes.end(), chw.begin(), chw.end());
    }
    test::write_bytes(cifar / (b == 6 ? std::string("test_batch.bin")
                                      : "data_batch_" + std::to_string(b) + ".bin"),
                      bytes);
  }
  for (const char* split : {"train", "test"}) {
    for (int i = 0; i < 6; ++i) {
      const auto px = test::pattern(32 * 32 * 3, static_cast<uint32_t>(i));
      test::write_bytes(folder / split / "cat" / (std::to_string(i) + ".png"),
                        test::png_bytes(32, 32, 3, px));
      test::write_bytes(folder / split / "dog" / (std::to_string(i) + ".jpg"),
                        test::jpeg_bytes(32, 32, 3, px));
    }
  }
  ::setenv("RETHINK_CACHE_DIR", (dir_ / "cache").c_str(), 1);
  struct Source {
    std::string spec;
    int train, test, classes;
    std::vector<int> shape;
  };
  const std::vector<uint8_t> idx_labels = test::pattern(40, 2);
  const int idx_classes = *std::max_element(idx_labels.begin(), idx_labels.end()) + 1;
  std::vector<Source> sources = {
      {"idx:" + idx.string(), 40, 8, idx_classes, {1, 28, 28}},
      {"cifar10:" + cifar.string(), 40, 8, 10, {3, 32, 32}},
      {"imagefolder:" + folder.string(), 12, 12, 2, {3, 32, 32}}};
  if (fs::is_directory(kFashionMnistDir)) {
    sources.push_back({"fashion-mnist", 60000, 10000, 10, {1, 28, 28}});
  } else {
    std::printf("skipping fashion-mnist: %s is absent (apt-get install dataset-fashion-mnist)\n",
                kFashionMnistDir);
  }
  for (const Source& s : sources) {
    std::vector<std::string> extra = {"--data", s.spec, "--randomize", "partial-labels",
                                      "--corrupt-prob", "0.5"};
    if (s.spec == "fashion-mnist") {
      extra.insert(extra.end(), {"--subset", "256", "--test-subset", "100"});
    }
    const ProcessResult r = fit("source", extra);
    ASSERT_EQ(r.exit_code, 0) << s.spec << "\n" << r.output;
    const nlohmann::json c = config("source");
    EXPECT_EQ(c["dataset"]["spec"], s.spec);
    EXPECT_EQ(c["dataset"]["full_train_size"], s.train) << s.spec;
    EXPECT_EQ(c["dataset"]["classes"], s.classes) << s.spec;
    EXPECT_EQ(c["dataset"]["image_shape"], nlohmann::json(s.shape)) << s.spec;
    if (s.spec != "fashion-mnist") {
      EXPECT_EQ(c["dataset"]["test_size"], s.test) << s.spec;
    }
    fs::remove_all(dir_ / "source");
  }
  ::unsetenv("RETHINK_CACHE_DIR");
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
