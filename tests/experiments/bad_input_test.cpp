// Bad input as a user meets it: every case of the corpus in tests/data/bad/ (see
// make_corpus.py there) run through `rethink fit` exits with status 2 and one message naming
// the offending file; so do impossible subsets and missing folders.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/experiments/process.h"
#include "tests/support/fixture.h"

namespace rethink {
namespace {

namespace fs = std::filesystem;
using rethink::testing::ProcessResult;
using rethink::testing::run_process;

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("rethink-bad-input-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "cache");
    // An image-folder cache goes here, not into the user's ~/.cache.
    ::setenv("RETHINK_CACHE_DIR", (dir_ / "cache").c_str(), 1);
  }
  void TearDown() override {
    ::unsetenv("RETHINK_CACHE_DIR");
    fs::remove_all(dir_);
  }

  ProcessResult fit(const std::vector<std::string>& extra) const {
    std::vector<std::string> args = {RETHINK_BINARY, "fit", "--epochs", "1",
                                     "--threads",    "1",   "--out",    (dir_ / "run").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_process(args);
  }
  // Exit status 2, one line, naming `names`, and no run directory left behind.
  void expect_refused(const ProcessResult& r, const std::string& names,
                      const std::string& says) const {
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_EQ(r.output.rfind("rethink: error: ", 0), 0u) << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
    EXPECT_NE(r.output.find(names), std::string::npos) << "no '" << names << "' in " << r.output;
    EXPECT_NE(r.output.find(says), std::string::npos) << "no '" << says << "' in " << r.output;
    EXPECT_FALSE(fs::exists(dir_ / "run" / "config.json")) << r.output;
  }

  fs::path dir_;
};

TEST_F(BadInputTest, EveryCorpusCaseExitsTwoNamingItsFile) {
  const fs::path corpus = test::source_dir() / "tests" / "data" / "bad";
  std::ifstream in(corpus / "cases.json");
  const nlohmann::json cases = nlohmann::json::parse(in);
  int folders = 0;
  for (const auto& e : fs::directory_iterator(corpus)) folders += e.is_directory() ? 1 : 0;
  ASSERT_EQ(folders, static_cast<int>(cases.size())) << "a corpus folder without a case";
  for (const auto& [name, c] : cases.items()) {
    SCOPED_TRACE(name);
    const std::string spec = c["data"].get<std::string>() + ":" + (corpus / name).string();
    expect_refused(fit({"--data", spec}), c["file"], c["says"]);
  }
  EXPECT_TRUE(fs::is_empty(dir_ / "cache"));
}

TEST_F(BadInputTest, AMissingDataFolderExitsTwoNamingIt) {
  for (const char* kind : {"idx", "cifar10", "imagefolder"}) {
    const std::string missing = (dir_ / "no-such-folder").string();
    expect_refused(fit({"--data", std::string(kind) + ":" + missing}), missing, "no such folder");
  }
  expect_refused(fit({"--data", "cifar10:"}), "cifar10:DIR", "names no folder");
}

TEST_F(BadInputTest, AnEmptyImageFolderExitsTwoNamingWhatIsMissing) {
  fs::create_directories(dir_ / "empty");
  expect_refused(fit({"--data", "imagefolder:" + (dir_ / "empty").string()}),
                 (dir_ / "empty" / "train").string(), "missing");
}

TEST_F(BadInputTest, ASubsetLargerThanTheDataExitsTwo) {
  expect_refused(fit({"--data", "synthetic:40,1,4,4,2", "--subset", "41"}), "--subset 41",
                 "40 training images");
  expect_refused(fit({"--data", "synthetic:40,1,4,4,2", "--test-subset", "9"}), "--test-subset 9",
                 "8 test images");
  expect_refused(fit({"--data", "synthetic:40,1,4,4,2", "--subset-mode", "random"}),
                 "--subset-mode", "random");
}

}  // namespace
}  // namespace rethink
