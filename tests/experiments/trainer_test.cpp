#include "experiments/trainer.h"

#include <gtest/gtest.h>

#include <csignal>
#include <cstring>

#include "experiments/interrupt.h"
#include "models/zoo/registry.h"

namespace rethink {
namespace {

struct TrainedRun {
  std::shared_ptr<Module> model;
  std::unique_ptr<ParameterSlab> slab;
  TrainResult result;
  std::vector<EpochRecord> epochs;
};

TrainSettings small_settings(int64_t train_size) {
  TrainSettings s;
  s.epochs = 3;
  s.batch_size = 32;
  s.schedule.base_lr = 0.01;
  s.schedule.images_per_decay = train_size;
  s.seed = 4;
  return s;
}

TrainedRun train_mlp(const Dataset& data, const TrainSettings& s,
              const std::function<void(const EpochRecord&)>& extra = {}) {
  TrainedRun run;
  run.model = make_model("mlp1x512", {data.channels, data.height, data.width, data.classes});
  run.model->initialize(s.seed);
  run.slab = std::make_unique<ParameterSlab>(run.model->parameters());
  run.result = train(*run.model, *run.slab, data, s, [&](const EpochRecord& r) {
    run.epochs.push_back(r);
    if (extra) extra(r);
  });
  return run;
}

TEST(TrainerTest, MemorizesRandomLabelsToFullTrainingAccuracy) {
  const Dataset data = load_dataset("synthetic:256,1,8,8,10", 1);
  TrainSettings s = small_settings(256);
  s.epochs = 60;
  s.until_fit = true;
  const TrainedRun run = train_mlp(data, s);
  EXPECT_EQ(run.result.status, RunStatus::kFit) << run.result.message;
  EXPECT_TRUE(run.result.fit);
  EXPECT_EQ(run.result.last.full_train.accuracy, 1.0);
  EXPECT_EQ(run.result.fit_step, run.result.steps);
  EXPECT_LT(run.result.epochs_completed, 60);  // stopped at the fit, not at the cap
}

TEST(TrainerTest, TheSameSeedGivesABitIdenticalRun) {
  const Dataset data = load_dataset("synthetic:100,1,6,6,5", 2);
  const TrainSettings s = small_settings(100);
  const TrainedRun a = train_mlp(data, s);
  const TrainedRun b = train_mlp(data, s);
  EXPECT_EQ(a.slab->values().to_vector<float>(), b.slab->values().to_vector<float>());
  ASSERT_EQ(a.epochs.size(), b.epochs.size());
  for (size_t i = 0; i < a.epochs.size(); ++i) {
    EXPECT_EQ(a.epochs[i].train_loss, b.epochs[i].train_loss);
    EXPECT_EQ(a.epochs[i].full_train.loss, b.epochs[i].full_train.loss);
  }
  TrainSettings other = s;
  other.seed = 5;
  EXPECT_NE(a.slab->values().to_vector<float>(),
            train_mlp(data, other).slab->values().to_vector<float>());
}

TEST(TrainerTest, LearningRateDecaysOncePerFullSizeEpochOfImages) {
  const Dataset data = load_dataset("synthetic:64,1,4,4,3", 3);
  TrainSettings s = small_settings(64);
  s.epochs = 3;
  s.schedule.images_per_decay = 128;  // as if the full set were twice the size trained on
  const TrainedRun run = train_mlp(data, s);
  ASSERT_EQ(run.epochs.size(), 3u);
  // Epoch lr is the lr of its last step: 64 images per epoch, 128 per decay.
  EXPECT_DOUBLE_EQ(run.epochs[0].lr, 0.01);
  EXPECT_DOUBLE_EQ(run.epochs[1].lr, 0.01);
  EXPECT_DOUBLE_EQ(run.epochs[2].lr, 0.01 * 0.95);
}

TEST(TrainerTest, RecordsStepsImagesAndEvaluationsPerEpoch) {
  const Dataset data = load_dataset("synthetic:70,1,4,4,3", 3);
  const TrainedRun run = train_mlp(data, small_settings(70));
  ASSERT_EQ(run.epochs.size(), 3u);
  EXPECT_EQ(run.epochs[0].step, 3);  // ceil(70 / 32)
  EXPECT_EQ(run.epochs[2].step, 9);
  EXPECT_EQ(run.epochs[2].images_seen, 210);
  EXPECT_EQ(run.epochs[2].full_train.count, 70);
  EXPECT_EQ(run.epochs[2].test.count, 14);
  EXPECT_EQ(run.result.status, RunStatus::kCompleted);
}

TEST(TrainerTest, ANonFiniteLossStopsTheRunNamingTheStep) {
  const Dataset data = load_dataset("synthetic:64,1,4,4,3", 3);
  TrainSettings s = small_settings(64);
  s.schedule.base_lr = 1e30;
  const TrainedRun run = train_mlp(data, s);
  EXPECT_EQ(run.result.status, RunStatus::kDiverged);
  EXPECT_NE(run.result.message.find("at step"), std::string::npos) << run.result.message;
  EXPECT_NE(run.result.message.find("--lr"), std::string::npos) << run.result.message;
}

TEST(TrainerTest, AnInterruptStopsAfterTheCurrentStep) {
  const Dataset data = load_dataset("synthetic:64,1,4,4,3", 3);
  TrainSettings s = small_settings(64);
  s.epochs = 50;
  const InterruptScope scope;
  const TrainedRun run = train_mlp(data, s, [](const EpochRecord& r) {
    if (r.epoch == 2) std::raise(SIGINT);
  });
  EXPECT_EQ(run.result.status, RunStatus::kInterrupted);
  EXPECT_EQ(run.result.epochs_completed, 2);
  EXPECT_EQ(run.result.steps, 2 * 2 + 1);  // two whole epochs of 2 steps, then one step
}

}  // namespace
}  // namespace rethink
