// rethink rademacher: an empirical lower bound on the Rademacher complexity of what SGD reaches
// (PAPER.md section 9.1). Draws T random sign vectors sigma over n training images, fits each
// as a 2-class problem with labels (sigma + 1) / 2 and unchanged hyperparameters, and reports
// (1/n) sum_i sigma_i h(x_i) = 2 * train_acc - 1, averaged over the draws. A value near 1 says
// the learner can correlate with any labelling of this sample: the bound R_n(H) <= 1 is all the
// complexity argument can offer.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "datasets/batch_loader.h"
#include "datasets/dataset.h"
#include "datasets/subset.h"
#include "experiments/commands/registry.h"
#include "experiments/format.h"
#include "experiments/interrupt.h"
#include "experiments/run_dir.h"
#include "experiments/system_info.h"
#include "experiments/trainer.h"
#include "experiments/validators.h"
#include "kernels/error.h"
#include "models/zoo/registry.h"
#include "runtime/parameter_slab.h"
#include "runtime/random.h"
#include "runtime/threads.h"

namespace rethink::cli {
namespace {

// Label streams of draw t use step kFirstSignStep + t; randomize.cpp's corruption uses step 1.
constexpr uint32_t kFirstSignStep = 100;
constexpr int64_t kDefaultImages = 1000;

struct RademacherOptions {
  std::string model = "mlp1x512";
  std::string data = kDefaultDataSpec;
  // -1: not given, then kDefaultImages (or all, when fewer). The test split only checks that
  // fresh signs stay at chance, so a thousand images do.
  int64_t train_images = -1, test_images = -1;
  std::string subset_mode = "first";
  int64_t draws = 5;
  int64_t epochs = 100;
  int64_t batch = 128;
  double lr = 0;  // 0: the model's paper default
  uint64_t seed = 0;
  int threads = 0;
  std::string out;
  bool overwrite = false;
};

double default_lr(const std::string& model) {
  return model.starts_with("inception") ? 0.1 : 0.01;
}

// Labels in {0, 1}: (sigma + 1) / 2 for a fresh sign vector per split.
Tensor sign_labels(int64_t count, uint64_t seed, int64_t draw, uint32_t split) {
  const auto stream = PhiloxStream::make(seed, RngPurpose::kLabels,
                                         kFirstSignStep + static_cast<uint32_t>(draw), split);
  Tensor labels = Tensor::empty(Shape{count}, DType::kInt32);
  int32_t* y = labels.data<int32_t>();
  for (int64_t i = 0; i < count; ++i) y[i] = static_cast<int32_t>(stream.below(static_cast<uint64_t>(i), 2));
  return labels;
}

struct DrawResult {
  double train_accuracy = 0, test_accuracy = 0;
  bool fit = false;
  int64_t epochs = 0, steps = 0;
  double seconds = 0;
};

int run_rademacher(const RademacherOptions& o) {
  const int threads = set_thread_count(o.threads);
  Dataset base = load_dataset(o.data, o.seed);
  const auto resolve = [](int64_t given, int64_t available) {
    return given >= 0 ? given : std::min(kDefaultImages, available);
  };
  const SubsetOptions subset{resolve(o.train_images, base.train.size()), o.subset_mode,
                             resolve(o.test_images, base.test.size())};
  apply_subset(base, subset, o.seed);
  const kernels::TransformShape shape = transform_shape(base.train);
  const ModelInput input{shape.channels, shape.out_h, shape.out_w, 2};
  (void)make_model(o.model, input);  // an unknown model or impossible input: refused now

  const std::string out =
      o.out.empty() ? fmt::format("runs/rademacher-{}", utc_time_string("%Y%m%d-%H%M%S")) : o.out;
  const RunDir run = RunDir::create(out, o.overwrite);
  TrainSettings s;
  s.epochs = o.epochs;
  s.batch_size = o.batch;
  s.schedule.base_lr = o.lr > 0 ? o.lr : default_lr(o.model);
  s.schedule.images_per_decay = base.full_train_size;
  s.schedule.validate();
  s.until_fit = true;
  s.seed = o.seed;
  run.write_json("config.json", {{"command", "rademacher"},
                                 {"settings",
                                  {{"model", o.model},
                                   {"data", o.data},
                                   {"subset", subset.train},
                                   {"subset_mode", subset.mode},
                                   {"test_subset", subset.test},
                                   {"draws", o.draws},
                                   {"epochs", o.epochs},
                                   {"batch", o.batch},
                                   {"lr", s.schedule.base_lr},
                                   {"lr_decay", s.schedule.decay},
                                   {"momentum", s.sgd.momentum},
                                   {"seed", o.seed},
                                   {"threads", threads}}},
                                 {"labels",
                                  "draw t: sigma_i uniform in {-1, 1} from Philox (seed, labels, "
                                  "step 100 + t, stream 0 train / 1 test); class (sigma + 1) / 2"},
                                 {"system", system_info()}});
  fmt::print("rethink rademacher: {} with a 2-class head on n = {} images of {}, {} sign vectors, "
             "up to {} epochs each, lr {}, {} threads\n",
             o.model, with_thousands(base.train.size()), base.spec, o.draws, o.epochs,
             s.schedule.base_lr, threads);
  std::fflush(stdout);

  const InterruptScope interrupt_scope;
  std::vector<DrawResult> draws;
  nlohmann::json per_draw = nlohmann::json::array();
  for (int64_t t = 0; t < o.draws; ++t) {
    Dataset data = base;
    data.classes = 2;
    data.class_names.clear();
    data.train.labels = sign_labels(data.train.size(), o.seed, t, 0);
    data.test.labels = sign_labels(data.test.size(), o.seed, t, 1);
    std::shared_ptr<Module> model = make_model(o.model, input);
    model->initialize(o.seed + static_cast<uint64_t>(t));
    ParameterSlab slab(model->parameters());
    s.seed = o.seed + static_cast<uint64_t>(t);
    Trainer trainer(*model, slab, data, s);
    const TrainResult r = trainer.run();
    const TrainState& state = trainer.state();
    if (r.status == RunStatus::kInterrupted || r.status == RunStatus::kDiverged) {
      fmt::print("draw {}/{}: {}\n", t + 1, o.draws, r.message);
      run.write_json("summary.json", {{"status", run_status_name(r.status)},
                                      {"message", r.message},
                                      {"draws", per_draw}});
      return r.status == RunStatus::kInterrupted ? kExitInterrupted : kExitFailure;
    }
    const DrawResult d{state.last.full_train.accuracy, state.last.test.accuracy, state.fit,
                       state.epoch, state.step, state.seconds};
    draws.push_back(d);
    per_draw.push_back({{"train_accuracy", d.train_accuracy},
                        {"correlation", 2 * d.train_accuracy - 1},
                        {"test_accuracy", d.test_accuracy},
                        {"fit", d.fit},
                        {"epochs", d.epochs},
                        {"steps", d.steps},
                        {"seconds", d.seconds}});
    fmt::print("draw {}/{}: train accuracy {:.2f}% after {} epochs ({} steps, {:.1f} s): "
               "2 acc - 1 = {:.4f}; test accuracy on fresh signs {:.2f}%\n",
               t + 1, o.draws, 100 * d.train_accuracy, d.epochs, d.steps, d.seconds,
               2 * d.train_accuracy - 1, 100 * d.test_accuracy);
    std::fflush(stdout);
  }

  double mean = 0, var = 0;
  for (const DrawResult& d : draws) mean += 2 * d.train_accuracy - 1;
  mean /= static_cast<double>(draws.size());
  for (const DrawResult& d : draws) var += std::pow(2 * d.train_accuracy - 1 - mean, 2);
  const double stddev = draws.size() > 1 ? std::sqrt(var / static_cast<double>(draws.size() - 1)) : 0;
  fmt::print("lower bound on the empirical Rademacher complexity: {:.4f} (std {:.4f} over {} draws); "
             "1 is the trivial upper bound the paper says these models reach\n",
             mean, stddev, draws.size());
  run.write_json("summary.json", {{"status", "completed"},
                                  {"n", base.train.size()},
                                  {"rademacher_lower_bound", mean},
                                  {"stddev", stddev},
                                  {"draws", per_draw}});
  fmt::print("wrote {}\n", run.path().string());
  return kExitOk;
}

}  // namespace

Command add_rademacher_command(CLI::App& app) {
  auto o = std::make_shared<RademacherOptions>();
  CLI::App* sub = app.add_subcommand(
      "rademacher",
      "Lower-bound the Rademacher complexity of what SGD reaches by fitting random signs");
  sub->add_option("--model", o->model, "Model from the zoo, built with a 2-class head")
      ->capture_default_str();
  sub->add_option("--data", o->data, "Data source (as for fit)")->capture_default_str();
  sub->add_option("--subset", o->train_images,
                  "n: training images to label with signs (default 1000, or all if fewer)")
      ->check(positive());
  sub->add_option("--subset-mode", o->subset_mode, "first or balanced (as for fit)")
      ->check(CLI::IsMember({"first", "balanced"}))
      ->capture_default_str();
  sub->add_option("--test-subset", o->test_images,
                  "Test images, with fresh signs: accuracy should stay near 50% (default 1000, "
                  "or all if fewer)")
      ->check(positive());
  sub->add_option("--draws", o->draws, "T: sign vectors to fit")
      ->check(positive())
      ->capture_default_str();
  sub->add_option("--epochs", o->epochs, "Epochs per draw at most (each stops once fit)")
      ->check(positive())
      ->capture_default_str();
  sub->add_option("--batch", o->batch, "Minibatch size")->check(positive())->capture_default_str();
  sub->add_option("--lr", o->lr, "Initial learning rate (default: 0.1 inception*, 0.01 others)")
      ->check(positive());
  sub->add_option("--seed", o->seed, "Seed for the signs, the subset and initialization")
      ->capture_default_str();
  sub->add_option("--threads", o->threads, "CPU threads (0: all cores)")
      ->check(non_negative())
      ->capture_default_str();
  sub->add_option("--out", o->out, "Run directory (default: runs/rademacher-<UTC time>)");
  sub->add_flag("--overwrite", o->overwrite, "Reuse a run directory that already holds a run");
  return {sub, [o] { return run_rademacher(*o); }};
}

}  // namespace rethink::cli
