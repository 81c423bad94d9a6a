#include "experiments/run_dir.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "kernels/error.h"

namespace rethink {
namespace {
namespace fs = std::filesystem;

class RunDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("rethink-run-dir-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  static std::string read(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  fs::path root_;
};

TEST_F(RunDirTest, CreatesNestedDirectoriesAndWritesJsonWithoutLeavingTemporaries) {
  const RunDir run = RunDir::create(root_ / "a" / "b", false);
  run.write_json("config.json", {{"lr", 0.1}});
  EXPECT_EQ(nlohmann::json::parse(read(root_ / "a" / "b" / "config.json"))["lr"], 0.1);
  for (const auto& entry : fs::directory_iterator(root_ / "a" / "b")) {
    EXPECT_EQ(entry.path().filename(), "config.json");  // no .tmp, no write probe
  }
}

TEST_F(RunDirTest, ADirectoryHoldingARunIsRefusedUnlessOverwriting) {
  RunDir::create(root_, false).write_json("config.json", {});
  EXPECT_THROW(RunDir::create(root_, false), UserError);
  EXPECT_NO_THROW(RunDir::create(root_, true));
}

TEST_F(RunDirTest, AnUnwritableLocationIsAUserErrorNamingThePath) {
  try {
    RunDir::create("/proc/rethink-cannot-be-here", false);
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("/proc/rethink-cannot-be-here"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("--out"), std::string::npos);
  }
}

TEST_F(RunDirTest, CsvRowsAreOnDiskAsSoonAsTheyAreAppended) {
  fs::create_directories(root_);
  CsvWriter csv(root_ / "m.csv", {"step", "loss"});
  csv.append({"1", "2.5"});
  EXPECT_EQ(read(root_ / "m.csv"), "step,loss\n1,2.5\n");  // read while the writer is open
  EXPECT_THROW(csv.append({"1"}), Error);
}

TEST_F(RunDirTest, AtomicWriteReplacesTheWholeFile) {
  fs::create_directories(root_);
  write_file_atomically(root_ / "f", "first version, long");
  write_file_atomically(root_ / "f", "second");
  EXPECT_EQ(read(root_ / "f"), "second");
}

}  // namespace
}  // namespace rethink
