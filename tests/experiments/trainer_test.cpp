#include "experiments/trainer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>

#include "experiments/checkpoint.h"
#include "experiments/grad_norm.h"
#include "experiments/interrupt.h"
#include "models/zoo/registry.h"
#include "runtime/threads.h"

namespace rethink {
namespace {
namespace fs = std::filesystem;

// One thread for every in-process test of this binary: ctest runs suites side by side on CI's
// two cores, where OpenMP threads waiting on each other cost far more than they bring to these
// tiny models.
class OneThread : public ::testing::Environment {
 public:
  void SetUp() override { set_thread_count(1); }
};
[[maybe_unused]] const ::testing::Environment* const kOneThread =
    ::testing::AddGlobalTestEnvironment(new OneThread);

struct TrainedRun {
  std::shared_ptr<Module> model;
  std::unique_ptr<ParameterSlab> slab;
  std::unique_ptr<Trainer> trainer;
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

// A model and trainer ready to run (or to restore a checkpoint into).
TrainedRun make_run(const Dataset& data, const TrainSettings& s,
                    const std::string& model = "mlp1x512", double dropout = 0) {
  TrainedRun run;
  ModelInput input{data.channels, data.height, data.width, data.classes};
  input.dropout = dropout;
  run.model = make_model(model, input);
  run.model->initialize(s.seed);
  run.slab = std::make_unique<ParameterSlab>(run.model->parameters());
  run.trainer = std::make_unique<Trainer>(*run.model, *run.slab, data, s);
  return run;
}

void train(TrainedRun& run, TrainHooks hooks = {}) {
  const auto extra = hooks.on_evaluation;
  hooks.on_evaluation = [&](const EpochRecord& r) {
    run.epochs.push_back(r);
    if (extra) extra(r);
  };
  run.result = run.trainer->run(hooks);
}

TrainedRun train_mlp(const Dataset& data, const TrainSettings& s, TrainHooks hooks = {}) {
  TrainedRun run = make_run(data, s);
  train(run, std::move(hooks));
  return run;
}

std::vector<float> values(const TrainedRun& r) { return r.slab->values().to_vector<float>(); }
std::vector<float> momentum(const TrainedRun& r) {
  return r.trainer->sgd().momentum_buffer().to_vector<float>();
}

class ScratchDir {
 public:
  ScratchDir() {
    path_ = fs::temp_directory_path() /
            ("rethink-trainer-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST(TrainerTest, MemorizesRandomLabelsToFullTrainingAccuracy) {
  const Dataset data = load_dataset("synthetic:256,1,8,8,10", 1);
  TrainSettings s = small_settings(256);
  s.epochs = 60;
  s.until_fit = true;
  const TrainedRun run = train_mlp(data, s);
  const TrainState& st = run.trainer->state();
  EXPECT_EQ(run.result.status, RunStatus::kFit) << run.result.message;
  EXPECT_TRUE(st.fit);
  EXPECT_EQ(st.last.full_train.accuracy, 1.0);
  EXPECT_EQ(st.fit_step, st.step);
  EXPECT_EQ(st.fit_epoch, st.epoch);
  EXPECT_LT(st.epoch, 60);  // stopped at the fit, not at the cap
  EXPECT_GT(st.fit_step_seconds, 0);
  EXPECT_LE(st.fit_step_seconds, st.fit_seconds);
}

TEST(TrainerTest, TheSameSeedGivesABitIdenticalRun) {
  const Dataset data = load_dataset("synthetic:100,1,6,6,5", 2);
  const TrainSettings s = small_settings(100);
  const TrainedRun a = train_mlp(data, s);
  const TrainedRun b = train_mlp(data, s);
  EXPECT_EQ(values(a), values(b));
  ASSERT_EQ(a.epochs.size(), b.epochs.size());
  for (size_t i = 0; i < a.epochs.size(); ++i) {
    EXPECT_EQ(a.epochs[i].train_loss, b.epochs[i].train_loss);
    EXPECT_EQ(a.epochs[i].full_train.loss, b.epochs[i].full_train.loss);
    EXPECT_EQ(a.epochs[i].grad_norm, b.epochs[i].grad_norm);
  }
  TrainSettings other = s;
  other.seed = 5;
  EXPECT_NE(values(a), values(train_mlp(data, other)));
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
  EXPECT_EQ(run.result.steps_run, 9);
  for (const EpochRecord& r : run.epochs) {
    EXPECT_GT(r.grad_norm, 0);
    EXPECT_GE(r.best_test_accuracy, r.test.accuracy);
  }
}

TEST(TrainerTest, EvaluatesEveryNEpochsAndAfterTheLast) {
  const Dataset data = load_dataset("synthetic:64,1,4,4,3", 3);
  TrainSettings s = small_settings(64);
  s.epochs = 7;
  s.eval_every = 3;
  const TrainedRun run = train_mlp(data, s);
  ASSERT_EQ(run.epochs.size(), 3u);
  EXPECT_EQ(run.epochs[0].epoch, 3);
  EXPECT_EQ(run.epochs[1].epoch, 6);
  EXPECT_EQ(run.epochs[2].epoch, 7);
  // The running numbers cover the steps since the previous evaluation: 3 epochs of 2 steps.
  EXPECT_EQ(run.epochs[1].step - run.epochs[0].step, 6);
}

TEST(TrainerTest, AProfiledRunTimesEveryPhaseAndTrainsExactlyAsAnUnprofiledOne) {
  const Dataset data = load_dataset("synthetic:96,1,6,6,5", 6);
  TrainSettings s = small_settings(96);
  s.epochs = 2;
  const TrainedRun plain = train_mlp(data, s);
  s.profile = true;
  const TrainedRun profiled = train_mlp(data, s);
  EXPECT_EQ(values(profiled), values(plain));  // the clock never changes what is computed
  EXPECT_EQ(momentum(profiled), momentum(plain));

  const TrainProfile& p = profiled.trainer->profile();
  EXPECT_EQ(p.steps, profiled.result.steps_run);
  EXPECT_EQ(p.steps, 2 * 3);  // 96 images in batches of 32, two epochs
  EXPECT_EQ(p.evaluations, 2);
  for (const TrainPhase phase : {TrainPhase::kData, TrainPhase::kForward, TrainPhase::kBackward,
                                 TrainPhase::kUpdate, TrainPhase::kEvaluation}) {
    EXPECT_GT(p.seconds_of(phase), 0) << train_phase_name(phase);
    EXPECT_EQ(p.launches_of(phase), 0) << train_phase_name(phase) << ": the CPU launches nothing";
  }
  // The step phases cover the training steps (the trainer's own step clock includes the
  // progress hooks and the loop, so it is at least their sum).
  EXPECT_LE(p.step_seconds(), profiled.trainer->state().step_seconds * 1.05 + 1e-3);

  const nlohmann::json j = profile_json(p, Device::cpu(), s.batch_size);
  EXPECT_EQ(j["steps"], 6);
  EXPECT_EQ(j["launches_per_step"], 0.0);
  EXPECT_TRUE(j["peak_device_mib"].is_null());
  EXPECT_GT(j["peak_host_rss_mib"].get<double>(), 0);
  double shares = 0;
  for (const auto& [name, phase] : j["phases"].items()) shares += phase["share"].get<double>();
  EXPECT_NEAR(shares, 1.0, 1e-9);
  EXPECT_NEAR(j["phases"]["forward"]["ms_per_step"].get<double>(),
              1e3 * p.seconds_of(TrainPhase::kForward) / 6, 1e-9);
  EXPECT_EQ(profile_lines(j).size(), 1u + kTrainPhases);

  const TrainProfile& off = plain.trainer->profile();
  EXPECT_EQ(off.steps, 0);
  EXPECT_EQ(off.step_seconds(), 0);
}

TEST(TrainerTest, GradNormIsTheL2NormOfTheWholeSlab) {
  const Tensor t = Tensor::from_vector<float>(Shape{3}, {3, 4, 12});
  EXPECT_DOUBLE_EQ(l2_norm(t), 13.0);
  const Tensor big = Tensor::full(Shape{10000}, 0.5);  // several reduction chunks
  EXPECT_DOUBLE_EQ(l2_norm(big), 50.0);
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
  TrainHooks hooks;
  hooks.on_evaluation = [](const EpochRecord& r) {
    if (r.epoch == 2) std::raise(SIGINT);
  };
  const TrainedRun run = train_mlp(data, s, hooks);
  EXPECT_EQ(run.result.status, RunStatus::kInterrupted);
  // Raised during epoch 2's evaluation: the run stops at that epoch's end, before a step more.
  EXPECT_EQ(run.trainer->state().epoch, 2);
  EXPECT_EQ(run.trainer->state().step, 2 * 2);
  EXPECT_EQ(run.trainer->state().step_in_epoch, 0);
}

// The resume contract, in process: a run stopped in the middle of an epoch, checkpointed,
// restored into a fresh model and trainer and continued, ends bit for bit where the
// uninterrupted run ends (weights and momentum); altering the saved momentum changes that.
class ResumeTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ResumeTest, AResumeInTheMiddleOfAnEpochEqualsTheUninterruptedRun) {
  const std::string model = GetParam();
  const bool cnn = model != "mlp1x512";
  const Dataset data = load_dataset(cnn ? "synthetic:32,1,28,28,10" : "synthetic:100,1,6,6,5", 6);
  TrainSettings s = small_settings(data.train.size());
  s.batch_size = 16;
  s.epochs = cnn ? 2 : 3;
  const double dropout = 0.5;  // masks keyed by the step must follow it across the resume
  TrainedRun straight = make_run(data, s, model, dropout);
  train(straight);

  ScratchDir dir;
  TrainedRun first = make_run(data, s, model, dropout);
  {
    const InterruptScope scope;
    TrainHooks hooks;
    const int64_t stop_at = s.epochs * first.trainer->steps_per_epoch() / 2 + 1;
    hooks.on_step = [&](const TrainState& st, int64_t) {
      if (st.step == stop_at) std::raise(SIGINT);
    };
    train(first, hooks);
  }
  ASSERT_EQ(first.result.status, RunStatus::kInterrupted);
  ASSERT_GT(first.trainer->state().step_in_epoch, 0) << "the stop should fall inside an epoch";
  CheckpointInfo info;
  info.model = model;
  info.input = {data.channels, data.height, data.width, data.classes, dropout};
  info.state = first.trainer->state();
  info.train_labels = data.train.labels;
  write_checkpoint(dir.path(), *first.model, first.trainer->sgd(), *first.slab, info);

  const auto resume = [&](const Checkpoint& ck) {
    TrainedRun second = make_run(data, s, model, dropout);
    restore_checkpoint(ck, *second.model, second.trainer->sgd(), *second.slab);
    second.trainer->state() = ck.state;
    train(second);
    return second;
  };
  const TrainedRun second = resume(read_checkpoint(dir.path()));
  EXPECT_EQ(second.result.status, RunStatus::kCompleted);
  EXPECT_EQ(second.result.steps_run, straight.trainer->state().step - first.trainer->state().step);
  EXPECT_EQ(values(second), values(straight));
  EXPECT_EQ(momentum(second), momentum(straight));
  EXPECT_EQ(second.trainer->state().last.train_loss, straight.trainer->state().last.train_loss);
  if (cnn) {  // batch norm's exact state came back too
    for (const NamedBuffer& b : straight.model->buffers()) {
      bool found = false;
      for (const NamedBuffer& c : second.model->buffers()) {
        if (c.name != b.name) continue;
        found = true;
        EXPECT_EQ(std::memcmp(c.tensor.raw_data(), b.tensor.raw_data(), b.tensor.nbytes()), 0)
            << b.name;
      }
      EXPECT_TRUE(found) << b.name;
    }
  }

  // Negative control: the same checkpoint with its momentum halved ends elsewhere.
  Checkpoint altered = read_checkpoint(dir.path());
  for (auto& [name, t] : altered.state_file.tensors) {
    if (name.rfind("momentum_buffer.", 0) != 0) continue;
    float* m = t.data<float>();
    for (int64_t i = 0; i < t.numel(); ++i) m[i] *= 0.5f;
  }
  EXPECT_NE(values(resume(altered)), values(straight));
}

INSTANTIATE_TEST_SUITE_P(Models, ResumeTest, ::testing::Values("mlp1x512", "inception"));

}  // namespace
}  // namespace rethink
