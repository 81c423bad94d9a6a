#include "datasets/device_dataset.h"
#include "experiments/fit_run.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <memory>
#include <optional>

#include "datasets/augment.h"
#include "datasets/batch_loader.h"
#include "datasets/randomize.h"
#include "experiments/checkpoint.h"
#include "experiments/fingerprint.h"
#include "experiments/format.h"
#include "experiments/interrupt.h"
#include "experiments/progress.h"
#include "experiments/run_config.h"
#include "experiments/run_dir.h"
#include "experiments/system_info.h"
#include "experiments/train_profile.h"
#include "kernels/check.h"
#include "models/zoo/registry.h"
#include "runtime/compute_settings.h"
#include "runtime/device.h"
#include "runtime/threads.h"

namespace rethink {
namespace fs = std::filesystem;
namespace {

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}

// The device a run trains on: `auto` takes the first usable GPU, else the CPU, saying why.
ResolvedDevice choose_device(const std::string& text) {
  return resolve_device(parse_device(text));
}

// How the device computes (--math, --conv-engine). They change how a GPU rounds or which
// library computes, never what: on the CPU they are noted and have no effect.
ComputeSettings compute_settings_for(const FitOptions& o, Device device) {
  ComputeSettings c{parse_math_mode(o.math), parse_conv_engine(o.conv_engine)};
  if (!device.is_cuda()) c = {};
  check_compute_settings(c, device);
  return c;
}

nlohmann::json read_json(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw UserError(fmt::format("cannot open {}", file.string()));
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw UserError(
        fmt::format("{} is not valid JSON ({}); the file is damaged", file.string(), e.what()));
  }
}

nlohmann::json settings_json(const FitOptions& o, const TrainSettings& s) {
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
          {"dropout", o.dropout},
          {"seed", s.seed},
          {"threads", o.threads},
          {"device", o.device},
          {"math", o.math},
          {"conv_engine", o.conv_engine},
          {"until_fit", s.until_fit},
          {"fit_threshold", s.fit_threshold},
          {"eval_batch", s.eval_batch_size},
          {"eval_every", s.eval_every},
          {"checkpoint_every", o.checkpoint_every}};
}

std::vector<std::string> metrics_row(const EpochRecord& r) {
  auto num = [](double v) { return fmt::format("{:.6g}", v); };
  return {std::to_string(r.step),     std::to_string(r.epoch), num(r.lr),
          num(r.train_loss),          num(r.train_accuracy),   num(r.full_train.loss),
          num(r.full_train.accuracy), num(r.test.loss),        num(r.test.accuracy),
          num(r.best_test_accuracy),  num(r.grad_norm),        num(r.seconds),
          num(r.images_per_second)};
}

// What identifies the data a run trains on, beyond its settings.
nlohmann::json data_fingerprint(const Dataset& data) {
  return {{"train_images", hex64(tensor_fingerprint(data.train.images))},
          {"train_labels", hex64(tensor_fingerprint(data.train.labels))},
          {"test_images", hex64(tensor_fingerprint(data.test.images))},
          {"test_labels", hex64(tensor_fingerprint(data.test.labels))}};
}

std::string json_text(const nlohmann::json& v) {
  return v.is_string() ? v.get<std::string>() : (v.is_null() ? "(not set)" : v.dump());
}

// A resumed run must train exactly as the run it continues.
void check_resume_flags(const nlohmann::json& mine, const nlohmann::json& saved,
                        const fs::path& dir) {
  for (const auto& [key, value] : saved.items()) {
    if (!fixed_on_resume(key)) continue;
    const nlohmann::json ours = mine.contains(key) ? mine[key] : nlohmann::json();
    if (ours != value) {
      throw UserError(fmt::format(
          "--{} {}: the run in {} was trained with --{} {}; a resumed run keeps the settings "
          "it started with (only --epochs, --threads, --device, --until-fit, --fit-threshold, "
          "--eval-every, --eval-batch and --checkpoint-every may change); start a new run "
          "with --out to change it",
          key, json_text(ours), dir.string(), key, json_text(value)));
    }
  }
}

nlohmann::json summary_json(const FitOptions& o, const TrainSettings& s, const TrainState& st,
                            const TrainResult& result, const Dataset& data, int64_t parameters,
                            const std::string& device, const std::string& checkpoint) {
  nlohmann::json j;
  j["status"] = run_status_name(result.status);
  j["message"] = result.message;
  j["model"] = o.model;
  j["parameters"] = parameters;
  j["data"] = {{"spec", data.spec},
               {"kind", data.kind},
               {"train_size", data.train.size()},
               {"test_size", data.test.size()}};
  j["randomize"] = o.randomize;
  if (o.corrupt_prob >= 0) j["corrupt_prob"] = o.corrupt_prob;
  j["device"] = device;
  j["threads"] = o.threads;
  j["epochs"] = s.epochs;
  j["epochs_completed"] = st.epoch;
  j["steps"] = st.step;
  j["images_seen"] = st.images_seen;
  j["final"] = {{"epoch", st.last.epoch},
                {"train_loss", st.last.full_train.loss},
                {"train_accuracy", st.last.full_train.accuracy},
                {"test_loss", st.last.test.loss},
                {"test_accuracy", st.last.test.accuracy},
                {"best_test_accuracy", st.best_test_accuracy},
                {"running_train_loss", st.last.train_loss},
                {"running_train_accuracy", st.last.train_accuracy},
                {"grad_norm", st.last.grad_norm}};
  j["fit"] = st.fit;
  j["fit_threshold"] = s.fit_threshold;
  if (st.fit) {
    j["fit_epoch"] = st.fit_epoch;
    j["steps_to_fit"] = st.fit_step;
    j["seconds_to_fit"] = st.fit_seconds;
    j["train_seconds_to_fit"] = st.fit_step_seconds;
  }
  j["seconds"] = st.seconds;
  j["train_seconds"] = st.step_seconds;
  j["images_per_second"] =
      st.step_seconds > 0 ? static_cast<double>(st.images_seen) / st.step_seconds : 0;
  j["peak_host_memory_mib"] = peak_rss_mib();
  j["checkpoint"] = checkpoint;
  return j;
}

}  // namespace

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

const std::vector<std::string>& metrics_columns() {
  static const std::vector<std::string> columns = {
      "step",           "epoch",     "lr",       "train_loss",    "train_acc", "full_train_loss",
      "full_train_acc", "test_loss", "test_acc", "best_test_acc", "grad_norm", "seconds",
      "images_per_sec"};
  return columns;
}

nlohmann::json recorded_flags(const fs::path& run_dir) {
  const fs::path file = run_dir / "config.json";
  if (!fs::exists(file)) {
    throw UserError(
        fmt::format("--resume {}: no config.json there; pass the directory of a run "
                    "that rethink fit started",
                    run_dir.string()));
  }
  const nlohmann::json config = read_json(file);
  if (!config.contains("flags") || !config["flags"].is_object()) {
    throw UserError(
        fmt::format("{} records no flags: the run was made by an older rethink and "
                    "cannot be resumed",
                    file.string()));
  }
  return config["flags"];
}

FitOutcome run_fit(FitOptions o, FitVerbosity verbosity) {
  const bool resuming = !o.resume.empty();
  const bool full = verbosity == FitVerbosity::kFull;
  o.threads = set_thread_count(o.threads);
  const ResolvedDevice device = choose_device(o.device);
  set_compute_settings(compute_settings_for(o, device.device));
  const RandomizeOptions randomize_with = randomize_options(o);
  const Progress::Mode progress_mode = Progress::parse(o.progress, !full);
  if (o.lr <= 0) o.lr = default_lr(o.model);

  // Everything a resume depends on is checked before the data is loaded.
  std::optional<Checkpoint> checkpoint;
  nlohmann::json saved_flags;
  if (resuming) {
    if (!o.out.empty() && fs::path(o.out) != fs::path(o.resume)) {
      throw UserError(
          fmt::format("--out {} with --resume {}: a resumed run stays in its own "
                      "directory; drop --out",
                      o.out, o.resume));
    }
    o.out = o.resume;
    saved_flags = recorded_flags(o.resume);
    check_resume_flags(flags_json(o), saved_flags, o.resume);
    checkpoint = read_checkpoint(o.resume);
    if (checkpoint->model != o.model) {
      throw UserError(fmt::format("--resume {}: its checkpoint {} holds model '{}', not '{}'",
                                  o.resume, checkpoint->dir.string(), checkpoint->model, o.model));
    }
    if (o.epochs < checkpoint->state.epoch) {
      throw UserError(
          fmt::format("--epochs {}: the run in {} has done {} epochs already; pass "
                      "a larger --epochs to train further",
                      o.epochs, o.resume, checkpoint->state.epoch));
    }
  }

  if (!o.out.empty()) RunDir::check_creatable(o.out);

  TrainSettings s;
  s.augment = parse_augment(o.augment);
  s.epochs = o.epochs;
  s.batch_size = o.batch;
  s.sgd = {o.momentum, o.weight_decay, o.nesterov};
  s.seed = o.seed;
  s.until_fit = o.until_fit;
  s.fit_threshold = o.fit_threshold;
  s.eval_batch_size = o.eval_batch;
  s.eval_every = o.eval_every;
  s.device = device.device;
  s.profile = o.profile;

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
  ModelInput input{batch_shape.channels, batch_shape.out_h, batch_shape.out_w, data.classes};
  input.dropout = o.dropout;
  std::shared_ptr<Module> model = make_model(o.model, input);
  model->initialize(o.seed);  // the draws run on the host: every device starts alike
  model->to(device.device);    // before the slab gathers the parameters on their device
  ParameterSlab slab(model->parameters());
  Trainer trainer(*model, slab, data, s);
  const nlohmann::json fingerprint = data_fingerprint(data);

  if (checkpoint) {
    const nlohmann::json saved_print = checkpoint->run.value("data", nlohmann::json());
    if (saved_print != fingerprint ||
        checkpoint->train_labels.to_vector<int32_t>() != data.train.labels.to_vector<int32_t>()) {
      throw UserError(fmt::format(
          "--resume {}: the data set rebuilt from --data {} differs from the one the run "
          "trained on (fingerprints {} now, {} then); resume where the same data is",
          o.resume, o.data, fingerprint.dump(), saved_print.dump()));
    }
    restore_checkpoint(*checkpoint, *model, trainer.sgd(), slab);
    trainer.state() = checkpoint->state;
  }
  // Uploaded once (a data set that does not fit is refused with its sizes); every loader then
  // gathers its batches on the device.
  move_dataset_to(data, device.device);

  // The run directory, once nothing can be refused any more.
  const std::string out =
      o.out.empty() ? fmt::format("runs/fit-{}-{}", o.model, utc_time_string("%Y%m%d-%H%M%S"))
                    : o.out;
  const RunDir run =
      resuming ? RunDir::create(out, /*overwrite=*/true) : RunDir::create(out, o.overwrite);
  if (!resuming && o.overwrite) {
    std::error_code ec;
    fs::remove_all(run.path() / "checkpoints", ec);  // a stale checkpoint must not be resumed
    fs::remove(run.path() / "summary.json", ec);
  }
  nlohmann::json config;
  if (resuming) {
    config = read_json(run.path() / "config.json");
    config["resumes"].push_back({{"started_utc", utc_time_string("%Y-%m-%dT%H:%M:%SZ")},
                                 {"from_checkpoint", checkpoint->dir.filename().string()},
                                 {"from_epoch", checkpoint->state.epoch},
                                 {"from_step", checkpoint->state.step},
                                 {"epochs", o.epochs},
                                 {"threads", o.threads},
                                 {"device", device.device.to_string()}});
    config["flags"] = flags_json(o);
    config["settings"] = settings_json(o, s);
  } else {
    config["command"] = "fit";
    config["started_utc"] = utc_time_string("%Y-%m-%dT%H:%M:%SZ");
    config["flags"] = flags_json(o);
    config["settings"] = settings_json(o, s);
    config["device"] = {
        {"requested", o.device}, {"used", device.device.to_string()}, {"reason", device.reason}};
    config["math"] = {{"requested", o.math},
                      {"effective", math_mode_name(compute_settings().math)},
                      {"note",
                       "tf32 applies to cuBLAS/cuDNN math on the GPU; the CPU computes "
                       "in fp32"}};
    config["conv_engine"] = {{"requested", o.conv_engine},
                             {"effective", conv_engine_name(compute_settings().conv_engine)}};
    config["dataset"] = dataset_json(data);
    config["model"] = {{"name", o.model},
                       {"parameters", model->parameter_count()},
                       {"input", {input.channels, input.height, input.width}},
                       {"classes", input.classes},
                       {"dropout", input.dropout}};
    config["randomize"] = randomize_json(randomized, data);
    config["preprocess"] = preprocess_json(data, batch_shape);
    config["augment"] = augment_json(s.augment, s.seed);
    config["system"] = system_info();
  }
  run.write_json("config.json", config);

  const std::string label = fmt::format("{} {}", o.model, o.randomize);
  Progress progress(progress_mode, s.epochs);
  if (full) {
    progress.print(fmt::format("rethink fit: {} ({} parameters) on {} ({} train / {} test images)",
                               o.model, with_thousands(model->parameter_count()), data.spec,
                               data.train.size(), data.test.size()));
    progress.print(fmt::format(
        "  device {} ({}), {} threads, batch {}, lr {} ({}), run directory {}",
        device.device.to_string(), device.reason, o.threads, s.batch_size, s.schedule.base_lr,
        lr_schedule_kind_name(s.schedule.kind), run.path().string()));
    if (o.math == "tf32" && !device.device.is_cuda()) {
      progress.print("  --math tf32 applies to GPU math only: the CPU computes in fp32");
    }
    if (randomizes_labels(randomized.mode)) {
      progress.print(fmt::format("  randomize {}: {} of {} training labels changed (p = {})",
                                 randomization_name(randomized.mode),
                                 randomized.train_labels.changed, randomized.train_labels.size,
                                 randomized.corrupt_prob));
    } else if (randomized.mode != Randomization::kNone) {
      progress.print(fmt::format("  randomize {}: train and test images, stored {}x{}",
                                 randomization_name(randomized.mode), data.height, data.width));
    }
    if (s.augment.any()) progress.print(fmt::format("  augment {}", augment_name(s.augment)));
    if (checkpoint) {
      progress.print(fmt::format("  resuming from {} (epoch {}, step {}) to {} epochs in all",
                                 checkpoint->dir.string(), checkpoint->state.epoch,
                                 checkpoint->state.step, s.epochs));
      const int saved_threads = saved_flags.value("threads", 0);
      if (saved_threads != o.threads) {
        progress.print(
            fmt::format("  note: the run used {} threads, this resume {}: it will not "
                        "be bit-identical to an uninterrupted run",
                        saved_threads, o.threads));
      }
    }
  }

  CsvWriter metrics = resuming ? CsvWriter::resume(run.path() / "metrics.csv", metrics_columns(),
                                                   "step", checkpoint->state.step)
                               : CsvWriter(run.path() / "metrics.csv", metrics_columns());
  CheckpointInfo info;
  info.model = o.model;
  info.input = input;
  info.run = {{"flags", flags_json(o)}, {"data", fingerprint}};
  info.train_labels = data.train.labels;
  std::string last_checkpoint = checkpoint ? checkpoint->dir.string() : std::string();
  const auto save = [&](const TrainState& state) {
    info.state = state;
    last_checkpoint = write_checkpoint(run.path(), *model, trainer.sgd(), slab, info).string();
  };

  TrainHooks hooks;
  hooks.on_step = [&](const TrainState& st, int64_t spe) { progress.on_step(st, spe); };
  hooks.on_evaluation = [&](const EpochRecord& r) {
    metrics.append(metrics_row(r));
    progress.on_evaluation(r);
  };
  hooks.on_epoch_end = [&](const TrainState& st) {
    if (o.checkpoint_every > 0 && st.epoch % o.checkpoint_every == 0) save(st);
  };

  const InterruptScope interrupt_scope;
  TrainResult result = trainer.run(hooks);
  progress.clear_bar();
  const TrainState& st = trainer.state();
  if (result.status != RunStatus::kDiverged) save(st);
  if (result.status == RunStatus::kDiverged) {
    result.message += last_checkpoint.empty()
                          ? "; no checkpoint had been written (see --checkpoint-every)"
                          : fmt::format("; the last good checkpoint is kept: {}", last_checkpoint);
  }

  FitOutcome outcome;
  outcome.status = result.status;
  outcome.dir = run.path();
  outcome.summary = summary_json(o, s, st, result, data, model->parameter_count(),
                                 device.device.to_string(), last_checkpoint);
  outcome.summary["resumed"] = config.contains("resumes") ? config["resumes"].size() : 0;
  if (o.profile) {
    outcome.summary["profile"] = profile_json(trainer.profile(), device.device, s.batch_size);
  }
  run.write_json("summary.json", outcome.summary);

  switch (result.status) {
    case RunStatus::kInterrupted:
      outcome.exit_code = 130;
      break;
    case RunStatus::kDiverged:
      outcome.exit_code = 1;
      break;
    default:
      outcome.exit_code = 0;
  }
  if (full) {
    progress.print(fmt::format("{}; train accuracy {:.2f}%, test accuracy {:.2f}%; wrote {}",
                               result.message, 100 * st.last.full_train.accuracy,
                               100 * st.last.test.accuracy, run.path().string()));
    if (result.status == RunStatus::kInterrupted) {
      progress.print(fmt::format("checkpoint written; continue with: rethink fit --resume {}",
                                 run.path().string()));
    }
  }
  if (o.profile && full) {
    for (const std::string& line : profile_lines(outcome.summary["profile"])) progress.print(line);
  }
  return outcome;
}

}  // namespace rethink
