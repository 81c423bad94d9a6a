// rethink fit: one training run, written to a run directory (config.json, metrics.csv,
// summary.json).
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "datasets/augment.h"
#include "datasets/batch_loader.h"
#include "datasets/dataset.h"
#include "datasets/randomize.h"
#include "experiments/commands/registry.h"
#include "experiments/format.h"
#include "experiments/interrupt.h"
#include "experiments/run_dir.h"
#include "experiments/system_info.h"
#include "experiments/trainer.h"
#include "experiments/validators.h"
#include "models/zoo/registry.h"
#include "runtime/device.h"
#include "runtime/threads.h"

namespace rethink::cli {
namespace {

struct FitOptions {
  std::string model = "mlp1x512";
  std::string data = kDefaultDataSpec;
  SubsetOptions subset;
  int64_t epochs = 20;
  int64_t batch = 128;
  double lr = 0.01;
  std::string lr_schedule = "exponential";
  double lr_decay = 0.95;
  int64_t lr_decay_images = 0;  // 0: the full training set's size
  int64_t lr_step_epochs = 1;
  double momentum = 0.9;
  bool nesterov = false;
  double weight_decay = 0.0;
  uint64_t seed = 0;
  int threads = 0;
  std::string device = "auto";
  std::string out;
  bool overwrite = false;
  bool until_fit = false;
  double fit_threshold = 1.0;
  int64_t eval_batch = 1000;
  std::string randomize = "none";
  double corrupt_prob = -1;  // -1: not given
  bool corrupt_test = false;
  std::string augment = "none";
};

std::string utc_timestamp(const char* format) {
  return fmt::format(fmt::runtime(format), fmt::gmtime(std::time(nullptr)));
}

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}

// The device a run trains on. Training runs on the CPU until the CUDA backend lands, so
// `auto` says so and an explicit `cuda` is refused with the way out.
ResolvedDevice choose_device(const std::string& text) {
  const DeviceRequest request = parse_device(text);
  ResolvedDevice resolved = resolve_device(request);
  if (resolved.device.is_cuda()) {
    if (request.kind == DeviceRequest::Kind::kCuda) {
      throw UserError(
          fmt::format("--device {}: rethink fit cannot train on CUDA yet (the CUDA "
                      "backend is not built); use --device cpu",
                      text));
    }
    resolved = {Device::cpu(), fmt::format("{} found, but fit trains on the CPU until the CUDA "
                                           "backend lands",
                                           resolved.reason)};
  }
  return resolved;
}

nlohmann::json settings_json(const FitOptions& o, const TrainSettings& s, int threads) {
  return {{"model", o.model},
          {"data", o.data},
          {"subset", o.subset.train},
          {"subset_mode", o.subset.mode},
          {"test_subset", o.subset.test},
          {"epochs", s.epochs},
          {"batch", s.batch_size},
          {"lr", s.schedule.base_lr},
          {"lr_schedule", lr_schedule_kind_name(s.schedule.kind)},
          {"lr_decay", s.schedule.decay},
          {"lr_decay_images", s.schedule.images_per_decay},
          {"lr_step_epochs", s.schedule.step_epochs},
          {"momentum", s.sgd.momentum},
          {"nesterov", s.sgd.nesterov},
          {"weight_decay", s.sgd.weight_decay},
          {"seed", s.seed},
          {"threads", threads},
          {"device", o.device},
          {"until_fit", s.until_fit},
          {"fit_threshold", s.fit_threshold},
          {"eval_batch", s.eval_batch_size}};
}

std::vector<std::string> metrics_row(const EpochRecord& r, double best_test) {
  auto num = [](double v) { return fmt::format("{:.6g}", v); };
  return {std::to_string(r.step),
          std::to_string(r.epoch),
          num(r.lr),
          num(r.train_loss),
          num(r.train_accuracy),
          num(r.full_train.loss),
          num(r.full_train.accuracy),
          num(r.test.loss),
          num(r.test.accuracy),
          num(best_test),
          num(r.seconds),
          num(r.images_per_second)};
}

// The randomization test a run asked for; UserError for flags that do not go together.
RandomizeOptions randomize_options(const FitOptions& o) {
  RandomizeOptions r;
  r.mode = parse_randomization(o.randomize);
  r.seed = o.seed;
  r.corrupt_test = o.corrupt_test;
  if (r.mode == Randomization::kPartialLabels) {
    if (o.corrupt_prob < 0) {
      throw UserError(
          "--randomize partial-labels needs --corrupt-prob p (e.g. --corrupt-prob 0.5)");
    }
    r.corrupt_prob = o.corrupt_prob;
  } else if (o.corrupt_prob >= 0) {
    throw UserError(
        fmt::format("--corrupt-prob applies to --randomize partial-labels, not {} "
                    "(random-labels is p = 1)",
                    o.randomize));
  }
  if (r.corrupt_test && !randomizes_labels(r.mode)) {
    throw UserError(
        fmt::format("--corrupt-test applies to --randomize partial-labels or "
                    "random-labels, not {}",
                    o.randomize));
  }
  return r;
}

nlohmann::json label_json(const LabelCorruption& c, double p, int64_t classes) {
  const double n = static_cast<double>(std::max<int64_t>(c.size, 1));
  return {{"labels", c.size},
          {"redrawn", c.redrawn},
          {"changed", c.changed},
          {"changed_fraction", static_cast<double>(c.changed) / n},
          {"expected_changed_fraction", (1.0 - 1.0 / static_cast<double>(classes)) * p}};
}

nlohmann::json randomize_json(const RandomizeReport& r, const Dataset& data) {
  nlohmann::json j = {{"mode", randomization_name(r.mode)}, {"seed", r.seed}};
  if (randomizes_labels(r.mode)) {
    j["corrupt_prob"] = r.corrupt_prob;
    j["corrupt_test"] = r.corrupt_test;
    j["rule"] =
        "each label independently with probability p redrawn uniformly from the classes "
        "(it may come out unchanged); fixed once, before training";
    j["philox"] = "key (seed, labels), step 1, stream 0 train / 1 test, block i for label i";
    j["train"] = label_json(r.train_labels, r.corrupt_prob, data.classes);
    j["test"] = r.corrupt_test ? label_json(r.test_labels, r.corrupt_prob, data.classes)
                               : nlohmann::json("clean");
  } else if (r.mode != Randomization::kNone) {
    if (r.cropped_from_h > 0) {
      j["stored_center_crop"] = {{"from", {r.cropped_from_h, r.cropped_from_w}},
                                 {"to", {data.height, data.width}}};
    }
    j["applies_to"] = "train and test";
    if (r.mode == Randomization::kShuffledPixels) {
      j["rule"] =
          "one permutation of the H*W positions (channels move together), the same for "
          "every image";
      j["philox"] = "key (seed, pixels), step 1";
    } else if (r.mode == Randomization::kRandomPixels) {
      j["rule"] =
          "an independent permutation of the H*W positions per image (channels move "
          "together)";
      j["philox"] = "key (seed, pixels), step 2 train / 3 test, stream = image index";
    } else {
      j["rule"] =
          "i.i.d. normal pixels with the training set's per-channel mean and variance "
          "(the [0, 1] scale, after the center crop), stored as float32, then whitened";
      j["philox"] = "key (seed, pixels), step 4, stream 0 train / 1 test, normal(i) per element";
      j["channel_mean"] = r.gaussian.mean;
      j["channel_stddev"] = r.gaussian.stddev;
    }
  }
  return j;
}

nlohmann::json preprocess_json(const Dataset& data, const kernels::TransformShape& shape) {
  const bool bytes = data.train.images.dtype() == DType::kUInt8;
  return {{"stored",
           {{"dtype", dtype_name(data.train.images.dtype())},
            {"shape_hwc", {shape.in_h, shape.in_w, shape.channels}}}},
          {"scale", bytes ? "x / 255" : "none (float32 data are used as stored)"},
          {"center_crop", {shape.out_h, shape.out_w}},
          {"whiten",
           "per image: (x - mean) / max(std, 1 / sqrt(H*W*C)), population std "
           "(TF per_image_standardization)"},
          {"evaluation", "center crop and whitening, no augmentation"}};
}

nlohmann::json augment_json(const AugmentOptions& a, uint64_t seed) {
  nlohmann::json j = {{"spec", augment_name(a)}};
  if (!a.any()) return j;
  j["seed"] = seed;
  j["philox"] =
      "key (seed, augment), step = epoch (0-based), words 8i..8i+7 for data set row i: "
      "fresh every epoch, the same after a resume";
  j["order"] = "crop, flip, rotate, brightness, contrast, whiten";
  if (a.crop) {
    j["crop"] = fmt::format(
        "random window, offsets uniform; images no larger than the window "
        "zero-padded by {} first",
        a.pad);
  }
  if (a.flip) j["flip"] = "left-right, probability 0.5";
  if (a.rotate) j["rotate_max_degrees"] = a.max_degrees;
  if (a.brightness) {
    j["brightness_max_delta"] = a.max_brightness;
    j["brightness_note"] =
        "a uniform shift, which per-image whitening removes (as in the TF "
        "CIFAR-10 tutorial)";
  }
  if (a.contrast) j["contrast_range"] = {a.contrast_low, a.contrast_high};
  return j;
}

int run_fit(const FitOptions& o) {
  const int threads = set_thread_count(o.threads);
  const ResolvedDevice device = choose_device(o.device);

  const RandomizeOptions randomize_with = randomize_options(o);

  TrainSettings s;
  s.augment = parse_augment(o.augment);
  s.epochs = o.epochs;
  s.batch_size = o.batch;
  s.sgd = {o.momentum, o.weight_decay, o.nesterov};
  s.seed = o.seed;
  s.until_fit = o.until_fit;
  s.fit_threshold = o.fit_threshold;
  s.eval_batch_size = o.eval_batch;

  Dataset data = load_dataset(o.data, o.seed, o.subset);
  s.schedule.kind = parse_lr_schedule_kind(o.lr_schedule);
  s.schedule.base_lr = o.lr;
  s.schedule.decay = o.lr_decay;
  s.schedule.images_per_decay = o.lr_decay_images > 0 ? o.lr_decay_images : data.full_train_size;
  s.schedule.step_epochs = o.lr_step_epochs;
  s.schedule.validate();

  const RandomizeReport randomized = randomize(data, randomize_with);
  // The model sees the loader's batches: the center crop of the stored images.
  const kernels::TransformShape batch_shape = transform_shape(data.train);
  const ModelInput input{batch_shape.channels, batch_shape.out_h, batch_shape.out_w, data.classes};
  std::shared_ptr<Module> model = make_model(o.model, input);
  model->initialize(o.seed);
  ParameterSlab slab(model->parameters());

  const std::string out =
      o.out.empty() ? fmt::format("runs/fit-{}-{}", o.model, utc_timestamp("%Y%m%d-%H%M%S"))
                    : o.out;
  const RunDir run = RunDir::create(out, o.overwrite);
  nlohmann::json config;
  config["command"] = "fit";
  config["started_utc"] = utc_timestamp("%Y-%m-%dT%H:%M:%SZ");
  config["settings"] = settings_json(o, s, threads);
  config["device"] = {
      {"requested", o.device}, {"used", device.device.to_string()}, {"reason", device.reason}};
  config["dataset"] = {{"spec", data.spec},
                       {"kind", data.kind},
                       {"train_size", data.train.size()},
                       {"test_size", data.test.size()},
                       {"full_train_size", data.full_train_size},
                       {"image_shape", {data.channels, data.height, data.width}},
                       {"classes", data.classes}};
  config["model"] = {{"name", o.model}, {"parameters", model->parameter_count()}};
  config["randomize"] = randomize_json(randomized, data);
  config["preprocess"] = preprocess_json(data, batch_shape);
  config["augment"] = augment_json(s.augment, s.seed);
  config["system"] = system_info();
  run.write_json("config.json", config);

  fmt::print("rethink fit: {} ({} parameters) on {} ({} train / {} test images)\n", o.model,
             with_thousands(model->parameter_count()), data.spec, data.train.size(),
             data.test.size());
  fmt::print("  device {} ({}), {} threads, batch {}, lr {} ({}), run directory {}\n",
             device.device.to_string(), device.reason, threads, s.batch_size, s.schedule.base_lr,
             lr_schedule_kind_name(s.schedule.kind), run.path().string());
  if (randomizes_labels(randomized.mode)) {
    fmt::print("  randomize {}: {} of {} training labels changed (p = {})\n",
               randomization_name(randomized.mode), randomized.train_labels.changed,
               randomized.train_labels.size, randomized.corrupt_prob);
  } else if (randomized.mode != Randomization::kNone) {
    fmt::print("  randomize {}: train and test images, stored {}x{}\n",
               randomization_name(randomized.mode), data.height, data.width);
  }
  if (s.augment.any()) fmt::print("  augment {}\n", augment_name(s.augment));
  std::fflush(stdout);

  CsvWriter metrics(
      run.path() / "metrics.csv",
      {"step", "epoch", "lr", "train_loss", "train_acc", "full_train_loss", "full_train_acc",
       "test_loss", "test_acc", "best_test_acc", "seconds", "images_per_sec"});
  double best_test = 0;
  const InterruptScope interrupt_scope;
  const TrainResult result = train(*model, slab, data, s, [&](const EpochRecord& r) {
    best_test = std::max(best_test, r.test.accuracy);
    metrics.append(metrics_row(r, best_test));
    fmt::print(
        "epoch {:>4}/{}  step {:>6}  lr {:.4g}  loss {:.4f}  acc {:6.2f}%  "
        "train {:6.2f}%  test {:6.2f}%  {:.0f} img/s  {:.1f}s\n",
        r.epoch, s.epochs, r.step, r.lr, r.train_loss, 100 * r.train_accuracy,
        100 * r.full_train.accuracy, 100 * r.test.accuracy, r.images_per_second, r.seconds);
    std::fflush(stdout);
  });

  nlohmann::json summary;
  summary["status"] = run_status_name(result.status);
  summary["message"] = result.message;
  summary["epochs_completed"] = result.epochs_completed;
  summary["steps"] = result.steps;
  summary["images_seen"] = result.images_seen;
  summary["final"] = {{"epoch", result.last.epoch},
                      {"train_loss", result.last.full_train.loss},
                      {"train_accuracy", result.last.full_train.accuracy},
                      {"test_loss", result.last.test.loss},
                      {"test_accuracy", result.last.test.accuracy},
                      {"best_test_accuracy", best_test}};
  summary["fit"] = result.fit;
  if (result.fit) {
    summary["fit_epoch"] = result.fit_epoch;
    summary["steps_to_fit"] = result.fit_step;
    summary["seconds_to_fit"] = result.fit_seconds;
  }
  summary["seconds"] = result.seconds;
  summary["peak_host_memory_mib"] = peak_rss_mib();
  run.write_json("summary.json", summary);

  fmt::print("{}; train accuracy {:.2f}%, test accuracy {:.2f}%; wrote {}\n", result.message,
             100 * result.last.full_train.accuracy, 100 * result.last.test.accuracy,
             run.path().string());
  switch (result.status) {
    case RunStatus::kInterrupted:
      return kExitInterrupted;
    case RunStatus::kDiverged:
      return kExitFailure;
    default:
      return kExitOk;
  }
}

}  // namespace

Command add_fit_command(CLI::App& app) {
  auto o = std::make_shared<FitOptions>();
  CLI::App* sub = app.add_subcommand("fit", "Train a model with SGD and record the run");
  sub->add_option("--model", o->model, "Model from the zoo (rethink models lists them)")
      ->capture_default_str();
  sub->add_option("--data", o->data,
                  "Data source: fashion-mnist (Debian's dataset-fashion-mnist), idx:DIR, "
                  "cifar10:DIR, imagefolder:DIR ({train,test}/<class>/*.jpg|png) or "
                  "synthetic:N,C,H,W,K")
      ->capture_default_str();
  sub->add_option("--subset", o->subset.train, "Train on N training images (0: all of them)")
      ->check(non_negative())
      ->capture_default_str();
  sub->add_option("--subset-mode", o->subset.mode,
                  "first (the first N) or balanced (a seeded pick, N / classes of each class)")
      ->check(CLI::IsMember({"first", "balanced"}))
      ->capture_default_str();
  sub->add_option("--test-subset", o->subset.test, "Test on the first M test images (0: all)")
      ->check(non_negative())
      ->capture_default_str();
  sub->add_option("--epochs", o->epochs, "Epochs to train")
      ->check(positive())
      ->capture_default_str();
  sub->add_option("--batch", o->batch, "Minibatch size")->check(positive())->capture_default_str();
  sub->add_option("--lr", o->lr, "Initial learning rate")->check(positive())->capture_default_str();
  sub->add_option("--lr-schedule", o->lr_schedule, "constant, exponential or step")
      ->check(CLI::IsMember({"constant", "exponential", "step"}))
      ->capture_default_str();
  sub->add_option("--lr-decay", o->lr_decay,
                  "Factor per epoch (exponential) or per --lr-step-epochs (step)")
      ->check(fraction())
      ->capture_default_str();
  sub->add_option("--lr-decay-images", o->lr_decay_images,
                  "Images per decay epoch (default: the full training set's size, even when "
                  "training on a subset)")
      ->check(non_negative());
  sub->add_option("--lr-step-epochs", o->lr_step_epochs, "Epochs between decays (step schedule)")
      ->check(positive())
      ->capture_default_str();
  sub->add_option("--momentum", o->momentum, "SGD momentum")
      ->check(fraction())
      ->capture_default_str();
  sub->add_flag("--nesterov", o->nesterov, "Use Nesterov momentum");
  sub->add_option("--weight-decay", o->weight_decay, "L2 weight decay on weights (not biases)")
      ->check(non_negative())
      ->capture_default_str();
  sub->add_option("--seed", o->seed, "Seed for data, initialization and shuffling")
      ->capture_default_str();
  sub->add_option("--threads", o->threads, "CPU threads for OpenMP and OpenBLAS (0: all cores)")
      ->check(non_negative())
      ->capture_default_str();
  sub->add_option("--device", o->device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  sub->add_option("--out", o->out, "Run directory (default: runs/fit-<model>-<UTC time>)");
  sub->add_flag("--overwrite", o->overwrite, "Reuse a run directory that already holds a run");
  sub->add_flag("--until-fit", o->until_fit,
                "Stop once the whole training set is fit (see --fit-threshold)");
  sub->add_option("--fit-threshold", o->fit_threshold,
                  "Training accuracy (eval mode, whole training split) that counts as fit")
      ->check(fraction())
      ->capture_default_str();
  sub->add_option("--eval-batch", o->eval_batch, "Batch size for evaluation passes")
      ->check(positive())
      ->capture_default_str();
  sub->add_option("--randomize", o->randomize,
                  "Randomization test: none, partial-labels, random-labels, shuffled-pixels, "
                  "random-pixels or gaussian (fixed once from --seed)")
      ->check(CLI::IsMember({"none", "partial-labels", "random-labels", "shuffled-pixels",
                             "random-pixels", "gaussian"}))
      ->capture_default_str();
  sub->add_option("--corrupt-prob", o->corrupt_prob,
                  "partial-labels: probability that a label is redrawn uniformly")
      ->check(fraction());
  sub->add_flag("--corrupt-test", o->corrupt_test,
                "Corrupt the test labels too (label randomizations; default: training only)");
  sub->add_option("--augment", o->augment,
                  "Training augmentation: none, or a comma-separated list of crop, flip, color "
                  "(brightness and contrast), brightness, contrast, rotate")
      ->capture_default_str();
  return {sub, [o] { return run_fit(*o); }};
}

}  // namespace rethink::cli
