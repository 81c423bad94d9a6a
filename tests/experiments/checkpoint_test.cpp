// Checkpoint files: what a round trip keeps, how a damaged or mismatched checkpoint is refused,
// and that only the latest complete checkpoint stays.
#include "experiments/checkpoint.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "models/zoo/registry.h"
#include "tests/support/throws.h"

namespace rethink {
namespace {
namespace fs = std::filesystem;
using test::throws_with;

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("rethink-checkpoint-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    data_ = load_dataset("synthetic:40,1,4,4,3", 1);
    model_ = make("mlp1x512");
    slab_ = std::make_unique<ParameterSlab>(model_->parameters());
    sgd_ = std::make_unique<Sgd>(*slab_, SgdOptions{});
    // Momentum that is not all zeros, so that a round trip shows.
    float* m = sgd_->momentum_buffer().data<float>();
    for (int64_t i = 0; i < sgd_->momentum_buffer().numel(); ++i) m[i] = 0.001f * i;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::shared_ptr<Module> make(const std::string& name, uint64_t seed = 3) const {
    auto m = make_model(name, {data_.channels, data_.height, data_.width, data_.classes});
    m->initialize(seed);
    return m;
  }
  CheckpointInfo info(int64_t epoch, int64_t step) const {
    CheckpointInfo i;
    i.model = "mlp1x512";
    i.input = {data_.channels, data_.height, data_.width, data_.classes};
    i.state.epoch = epoch;
    i.state.step = step;
    i.state.loss_sum = 0.1 + 0.2;  // not a short decimal: must round-trip exactly
    i.run = {{"flags", {{"model", "mlp1x512"}}}};
    i.train_labels = data_.train.labels;
    return i;
  }
  fs::path write(int64_t epoch, int64_t step) const {
    return write_checkpoint(dir_, *model_, *sgd_, *slab_, info(epoch, step));
  }

  fs::path dir_;
  Dataset data_;
  std::shared_ptr<Module> model_;
  std::unique_ptr<ParameterSlab> slab_;
  std::unique_ptr<Sgd> sgd_;
};

TEST_F(CheckpointTest, ARoundTripRestoresWeightsMomentumAndState) {
  const fs::path written = write(2, 4);
  EXPECT_EQ(written.filename(), "epoch-0002-step-000004");
  const Checkpoint ck = read_checkpoint(dir_);
  EXPECT_EQ(ck.dir, written);
  EXPECT_EQ(ck.model, "mlp1x512");
  EXPECT_EQ(ck.state.epoch, 2);
  EXPECT_EQ(ck.state.step, 4);
  EXPECT_EQ(ck.state.loss_sum, 0.1 + 0.2);
  EXPECT_EQ(ck.run["flags"]["model"], "mlp1x512");
  EXPECT_EQ(ck.train_labels.to_vector<int32_t>(), data_.train.labels.to_vector<int32_t>());

  auto other = make("mlp1x512", /*seed=*/9);
  ParameterSlab slab(other->parameters());
  Sgd sgd(slab, SgdOptions{});
  ASSERT_NE(slab.values().to_vector<float>(), slab_->values().to_vector<float>());
  restore_checkpoint(ck, *other, sgd, slab);
  EXPECT_EQ(slab.values().to_vector<float>(), slab_->values().to_vector<float>());
  EXPECT_EQ(sgd.momentum_buffer().to_vector<float>(), sgd_->momentum_buffer().to_vector<float>());
}

TEST_F(CheckpointTest, OnlyTheLatestCheckpointStays) {
  write(1, 2);
  const fs::path second = write(2, 4);
  int folders = 0;
  for (const auto& e : fs::directory_iterator(dir_ / "checkpoints")) {
    folders += e.is_directory() ? 1 : 0;
  }
  EXPECT_EQ(folders, 1);
  EXPECT_EQ(*latest_checkpoint(dir_), second);
  EXPECT_EQ(write(2, 4), second);  // the same state again: kept as it is
}

TEST_F(CheckpointTest, ADamagedFileIsRefusedNamingIt) {
  const fs::path ck = write(1, 2);
  {
    std::fstream f(ck / "state.safetensors", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-3, std::ios::end);
    f.put('\x7f');
  }
  EXPECT_TRUE(throws_with<UserError>([&] { read_checkpoint(dir_); },
                                     {"damaged", "state.safetensors", "manifest"}));
  fs::resize_file(ck / "weights.safetensors", 100);
  EXPECT_TRUE(throws_with<UserError>([&] { read_checkpoint(ck); }, {"weights.safetensors"}));
  fs::remove(ck / "weights.safetensors");
  EXPECT_TRUE(
      throws_with<UserError>([&] { read_checkpoint(ck); }, {"incomplete", "weights.safetensors"}));
}

TEST_F(CheckpointTest, AResealedEditIsReadAsItIs) {
  const fs::path ck = write(1, 2);
  std::fstream f(ck / "state.safetensors", std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(-1, std::ios::end);
  f.put('\x01');  // the last label byte: still a valid file
  f.close();
  seal_checkpoint(ck);
  EXPECT_NO_THROW(read_checkpoint(ck));
}

TEST_F(CheckpointTest, NoCheckpointIsAUserErrorSayingWhatToDo) {
  EXPECT_TRUE(throws_with<UserError>([&] { read_checkpoint(dir_); },
                                     {"holds no checkpoint", "without --resume"}));
}

TEST_F(CheckpointTest, AnotherModelIsRefusedBeforeAnythingChanges) {
  write(1, 2);
  const Checkpoint ck = read_checkpoint(dir_);
  auto other = make("mlp3x512");
  ParameterSlab slab(other->parameters());
  Sgd sgd(slab, SgdOptions{});
  const std::vector<float> before = slab.values().to_vector<float>();
  EXPECT_TRUE(throws_with<UserError>([&] { restore_checkpoint(ck, *other, sgd, slab); },
                                     {"does not fit this model", "mlp1x512"}));
  EXPECT_EQ(slab.values().to_vector<float>(), before);
}

TEST_F(CheckpointTest, TheTrainStateRoundTripsThroughJson) {
  TrainState s;
  s.epoch = 3;
  s.step_in_epoch = 1;
  s.step = 7;
  s.images_seen = 900;
  s.lr = 0.01 * 0.95 * 0.95;
  s.fit = true;
  s.fit_seconds = 1.0 / 3;
  s.evaluated = true;
  s.last.test.accuracy = 0.123456789012345;
  const TrainState back = train_state_from_json(train_state_json(s), "test");
  EXPECT_EQ(back.step_in_epoch, 1);
  EXPECT_EQ(back.lr, s.lr);
  EXPECT_EQ(back.fit_seconds, s.fit_seconds);
  EXPECT_EQ(back.last.test.accuracy, s.last.test.accuracy);
  nlohmann::json broken = train_state_json(s);
  broken.erase("step");
  EXPECT_TRUE(throws_with<UserError>([&] { train_state_from_json(broken, "f.safetensors"); },
                                     {"f.safetensors", "'step'"}));
}

}  // namespace
}  // namespace rethink
