// Checkpoints and --resume as a user meets them, through the rethink binary: a resumed run
// equals the uninterrupted one bit for bit (and does not when the saved momentum is altered);
// Ctrl-C leaves a resumable checkpoint; a resume that cannot be right is refused at once.
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "experiments/checkpoint.h"
#include "runtime/safetensors.h"
#include "tests/experiments/process.h"

namespace rethink {
namespace {
namespace fs = std::filesystem;
using rethink::testing::ProcessResult;
using rethink::testing::run_process;

class ResumeCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("rethink-resume-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static ProcessResult rethink(std::vector<std::string> args,
                               const std::function<int(const std::string&)>& on_output = {}) {
    args.insert(args.begin(), RETHINK_BINARY);
    return run_process(args, on_output);
  }
  // A small run: 3 steps per epoch, dropout on, so that the step-keyed masks must line up too.
  ProcessResult fit(const std::string& name, const std::string& epochs,
                    std::vector<std::string> extra = {}) const {
    std::vector<std::string> args = {"fit",     "--data",    "synthetic:96,1,8,8,10",
                                     "--batch", "32",        "--dropout",
                                     "0.3",     "--threads", "1",
                                     "--seed",  "5",         "--epochs",
                                     epochs,    "--out",     (dir_ / name).string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return rethink(args);
  }
  static SafetensorsFile latest_file(const fs::path& run, const char* file) {
    return read_safetensors(*latest_checkpoint(run) / file);
  }
  // Every tensor of both files equal, byte for byte.
  static void expect_same_tensors(const fs::path& a, const fs::path& b) {
    for (const char* file : {"weights.safetensors", "state.safetensors"}) {
      const SafetensorsFile fa = latest_file(a, file);
      const SafetensorsFile fb = latest_file(b, file);
      ASSERT_EQ(fa.tensors.size(), fb.tensors.size()) << file;
      for (size_t i = 0; i < fa.tensors.size(); ++i) {
        const auto& [name, ta] = fa.tensors[i];
        const auto& tb = fb.tensors[i].second;
        ASSERT_EQ(name, fb.tensors[i].first);
        ASSERT_EQ(ta.nbytes(), tb.nbytes()) << name;
        EXPECT_EQ(std::memcmp(ta.raw_data(), tb.raw_data(), ta.nbytes()), 0) << file << " " << name;
      }
    }
  }
  static nlohmann::json read_json(const fs::path& p) {
    std::ifstream in(p);
    return nlohmann::json::parse(in);
  }
  static int csv_rows(const fs::path& file) {
    std::ifstream in(file);
    std::string line;
    int rows = -1;  // the header
    while (std::getline(in, line)) ++rows;
    return rows;
  }
  static void expect_refused(const ProcessResult& r, const std::string& says) {
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_EQ(r.output.rfind("rethink: error: ", 0), 0u) << r.output;
    EXPECT_NE(r.output.find(says), std::string::npos) << "no '" << says << "' in " << r.output;
  }

  fs::path dir_;
};

TEST_F(ResumeCliTest, NEpochsResumedToTwoNEqualTwoNStraight) {
  ASSERT_EQ(fit("straight", "4").exit_code, 0);
  ASSERT_EQ(fit("resumed", "2").exit_code, 0);
  const ProcessResult r =
      rethink({"fit", "--resume", (dir_ / "resumed").string(), "--epochs", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("resuming from"), std::string::npos) << r.output;
  expect_same_tensors(dir_ / "straight", dir_ / "resumed");
  // The metrics were appended to: four rows, as the straight run's.
  EXPECT_EQ(csv_rows(dir_ / "resumed" / "metrics.csv"), 4);
  const nlohmann::json summary = read_json(dir_ / "resumed" / "summary.json");
  EXPECT_EQ(summary["steps"], 12);
  EXPECT_EQ(summary["resumed"], 1);
  EXPECT_EQ(summary["final"]["train_loss"],
            read_json(dir_ / "straight" / "summary.json")["final"]["train_loss"]);
}

TEST_F(ResumeCliTest, AlteringTheSavedMomentumChangesTheOutcome) {
  ASSERT_EQ(fit("straight", "4").exit_code, 0);
  ASSERT_EQ(fit("altered", "2").exit_code, 0);
  const fs::path ck = *latest_checkpoint(dir_ / "altered");
  SafetensorsFile state = read_safetensors(ck / "state.safetensors");
  for (auto& [name, t] : state.tensors) {
    if (name.rfind("momentum_buffer.", 0) != 0) continue;
    float* m = t.data<float>();
    for (int64_t i = 0; i < t.numel(); ++i) m[i] *= 0.5f;
  }
  std::ofstream(ck / "state.safetensors", std::ios::binary)
      << encode_safetensors(state.tensors, state.metadata);
  // Unsealed, the edit reads as damage.
  expect_refused(rethink({"fit", "--resume", (dir_ / "altered").string(), "--epochs", "4"}),
                 "damaged");
  seal_checkpoint(ck);
  const ProcessResult r =
      rethink({"fit", "--resume", (dir_ / "altered").string(), "--epochs", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(
      latest_file(dir_ / "straight", "weights.safetensors").tensors[0].second.to_vector<float>(),
      latest_file(dir_ / "altered", "weights.safetensors").tensors[0].second.to_vector<float>());
}

TEST_F(ResumeCliTest, CtrlCWritesAResumableCheckpointAndSaysHow) {
  const std::string run = (dir_ / "run").string();
  const ProcessResult r =
      rethink({"fit", "--data", "synthetic:2048,1,16,16,10", "--epochs", "500", "--threads", "1",
               "--out", run},
              [](const std::string& out) {
                return out.find("epoch    1/") != std::string::npos ? SIGINT : 0;
              });
  ASSERT_EQ(r.exit_code, 130) << r.output;
  EXPECT_NE(r.output.find("rethink fit --resume " + run), std::string::npos) << r.output;
  EXPECT_EQ(read_json(dir_ / "run" / "summary.json")["status"], "interrupted");
  const Checkpoint ck = read_checkpoint(run);
  const int64_t done = ck.state.epoch;
  ASSERT_GE(done, 1);

  // Resumed to a few epochs more, it equals a straight run of as many.
  const std::string total = std::to_string(done + 2);
  const ProcessResult resumed = rethink({"fit", "--resume", run, "--epochs", total});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  const ProcessResult straight =
      rethink({"fit", "--data", "synthetic:2048,1,16,16,10", "--epochs", total, "--threads", "1",
               "--out", (dir_ / "straight").string()});
  ASSERT_EQ(straight.exit_code, 0) << straight.output;
  expect_same_tensors(dir_ / "straight", dir_ / "run");
}

TEST_F(ResumeCliTest, CheckpointsEveryNEpochsKeepTheLatest) {
  const ProcessResult r = fit("run", "5", {"--checkpoint-every", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(latest_checkpoint(dir_ / "run")->filename(), "epoch-0005-step-000015");
}

TEST_F(ResumeCliTest, AResumeOfADifferentModelIsRefusedBeforeAnyWork) {
  ASSERT_EQ(fit("mlp", "1").exit_code, 0);
  expect_refused(rethink({"fit", "--resume", (dir_ / "mlp").string(), "--model", "alexnet"}),
                 "--model alexnet");
  expect_refused(rethink({"fit", "--resume", (dir_ / "mlp").string(), "--lr", "0.5"}),
                 "was trained with --lr 0.01");
  // Another model's checkpoint put into the run.
  ASSERT_EQ(fit("other", "1", {"--model", "mlp3x512"}).exit_code, 0);
  fs::remove_all(dir_ / "mlp" / "checkpoints");
  fs::copy(dir_ / "other" / "checkpoints", dir_ / "mlp" / "checkpoints",
           fs::copy_options::recursive);
  const ProcessResult r = rethink({"fit", "--resume", (dir_ / "mlp").string(), "--epochs", "2"});
  expect_refused(r, "mlp3x512");
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
}

TEST_F(ResumeCliTest, ACorruptCheckpointIsOneClearError) {
  ASSERT_EQ(fit("run", "1").exit_code, 0);
  const fs::path ck = *latest_checkpoint(dir_ / "run");
  fs::resize_file(ck / "state.safetensors", fs::file_size(ck / "state.safetensors") / 2);
  const ProcessResult r = rethink({"fit", "--resume", (dir_ / "run").string(), "--epochs", "2"});
  expect_refused(r, "is damaged");
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  std::ofstream(dir_ / "run" / "checkpoints" / "latest.json") << "{ not json";
  expect_refused(rethink({"fit", "--resume", (dir_ / "run").string()}), "not valid JSON");
}

TEST_F(ResumeCliTest, AResumeWithoutACheckpointOrARunIsRefused) {
  expect_refused(rethink({"fit", "--resume", (dir_ / "nothing").string()}), "no config.json");
  ASSERT_EQ(fit("run", "1").exit_code, 0);
  fs::remove_all(dir_ / "run" / "checkpoints");
  expect_refused(rethink({"fit", "--resume", (dir_ / "run").string()}), "holds no checkpoint");
}

TEST_F(ResumeCliTest, ANonFiniteLossKeepsTheLastGoodCheckpoint) {
  // A constant lr of 5 blows this tiny MLP up some epochs in; checkpoints every 5 epochs.
  const ProcessResult r =
      fit("run", "60", {"--lr", "5", "--lr-schedule", "constant", "--checkpoint-every", "5"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("at step"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("lower --lr"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("the last good checkpoint is kept"), std::string::npos) << r.output;
  const nlohmann::json summary = read_json(dir_ / "run" / "summary.json");
  EXPECT_EQ(summary["status"], "diverged");
  const Checkpoint ck = read_checkpoint(dir_ / "run");  // intact, and from before the blow-up
  EXPECT_EQ(ck.state.epoch % 5, 0);
  EXPECT_GE(ck.state.epoch, 5);
  EXPECT_LE(ck.state.epoch, summary["epochs_completed"].get<int>());
  EXPECT_EQ(summary["checkpoint"], ck.dir.string());
}

}  // namespace
}  // namespace rethink
