// rethink eval: the loss and accuracy of saved weights on any data source and split, with or
// without a randomization test (e.g. the run's own random labels, or corrupted test labels).
//
// --checkpoint takes a run directory (its latest checkpoint), a checkpoint folder, or a weights
// file. When it belongs to a run, the run's data settings (--data, --subset, --seed,
// --randomize, ...) are the defaults, so `rethink eval --checkpoint runs/x` measures the run on
// exactly the data it trained on; every flag given overrides them.
#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "datasets/batch_loader.h"
#include "datasets/randomize.h"
#include "experiments/checkpoint.h"
#include "experiments/commands/registry.h"
#include "experiments/evaluate.h"
#include "experiments/fit_run.h"
#include "experiments/flag_file.h"
#include "experiments/validators.h"
#include "models/weights.h"
#include "models/zoo/registry.h"
#include "runtime/threads.h"

namespace rethink::cli {
namespace {
namespace fs = std::filesystem;

struct EvalOptions {
  std::string checkpoint;
  FitOptions data;  // the data flags: data, subset, seed, randomize, corrupt-*, model
  std::string split = "both";
  int64_t batch = 1000;
  int threads = 0;
  bool json = false;
};

// Where the weights are, and the run they came from (if any).
struct WeightsSource {
  fs::path weights;
  fs::path run_dir;  // empty when the weights belong to no run
};

WeightsSource locate(const fs::path& path) {
  if (!fs::exists(path)) {
    throw UserError(fmt::format("--checkpoint {}: no such file or folder", path.string()));
  }
  WeightsSource w;
  if (fs::is_regular_file(path)) {
    w.weights = path;
    const fs::path candidate = path.parent_path().parent_path().parent_path();
    if (path.parent_path().parent_path().filename() == "checkpoints" &&
        fs::exists(candidate / "config.json")) {
      w.run_dir = candidate;
    }
    return w;
  }
  const Checkpoint ck = read_checkpoint(path);  // verifies the manifest
  w.weights = ck.dir / "weights.safetensors";
  const fs::path run = ck.dir.parent_path().parent_path();
  if (fs::exists(run / "config.json")) w.run_dir = run;
  return w;
}

std::string split_line(std::string_view name, const EvalResult& r) {
  return fmt::format("{:<6} {:>8} {:>10.4f} {:>9.2f}%", name, r.count, r.loss, 100 * r.accuracy);
}

int run_eval(CLI::App& sub, EvalOptions& o) {
  const WeightsSource source = locate(o.checkpoint);
  if (!source.run_dir.empty()) {
    // The run's data settings are the defaults: only those eval has as flags.
    nlohmann::json flags = recorded_flags(source.run_dir);
    nlohmann::json data_flags;
    for (const char* key : {"model", "data", "subset", "subset-mode", "test-subset", "seed",
                            "randomize", "corrupt-prob", "corrupt-test"}) {
      if (flags.contains(key)) data_flags[key] = flags[key];
    }
    std::set<std::string> given = given_flags(sub);
    if (given.contains("randomize")) {  // another randomization: none of the run's settings
      given.insert("corrupt-prob");
      given.insert("corrupt-test");
    }
    apply_flag_values(sub, data_flags, (source.run_dir / "config.json").string(), given);
  }
  const int threads = set_thread_count(o.threads);
  const SafetensorsFile file = read_safetensors(source.weights);
  const auto meta = [&](const char* key) {
    const auto it = file.metadata.find(key);
    return it == file.metadata.end() ? std::string() : it->second;
  };
  if (given_flags(sub).contains("model") == false && source.run_dir.empty()) {
    if (meta("model").empty()) {
      throw UserError(fmt::format("{} does not say which model it holds; pass --model",
                                  source.weights.string()));
    }
    o.data.model = meta("model");
  }
  if (!meta("model").empty() && meta("model") != o.data.model) {
    throw UserError(fmt::format("--model {}: {} holds weights of '{}'", o.data.model,
                                source.weights.string(), meta("model")));
  }
  const RandomizeOptions randomize_with = randomize_options(o.data);

  Dataset data = load_dataset(o.data.data, o.data.seed, o.data.subset);
  const RandomizeReport randomized = randomize(data, randomize_with);
  const kernels::TransformShape shape = transform_shape(data.train);
  const ModelInput input{shape.channels, shape.out_h, shape.out_w, data.classes};
  const std::string want = fmt::format("{},{},{}", input.channels, input.height, input.width);
  if (!meta("input").empty() &&
      (meta("input") != want || meta("classes") != std::to_string(input.classes))) {
    throw UserError(fmt::format(
        "--data {}: its images are {} (C,H,W) with {} classes, but {} was trained on {} with {} "
        "classes; evaluate it on data of that shape",
        o.data.data, want, input.classes, source.weights.string(), meta("input"), meta("classes")));
  }
  std::shared_ptr<Module> model = make_model(o.data.model, input);
  model->initialize(0);
  load_weights(*model, file, source.weights.string());

  nlohmann::json out = {{"weights", source.weights.string()},
                        {"model", o.data.model},
                        {"step", meta("step")},
                        {"epoch", meta("epoch")},
                        {"data", o.data.data},
                        {"randomize", randomization_name(randomized.mode)},
                        {"seed", o.data.seed},
                        {"threads", threads}};
  if (randomizes_labels(randomized.mode)) {
    out["corrupt_prob"] = randomized.corrupt_prob;
    out["test_labels"] = randomized.corrupt_test ? "corrupted" : "clean";
  }
  std::vector<std::pair<std::string, EvalResult>> results;
  if (o.split != "test") results.emplace_back("train", evaluate(*model, data.train, o.batch));
  if (o.split != "train") results.emplace_back("test", evaluate(*model, data.test, o.batch));
  for (const auto& [name, r] : results) {
    out[name] = {
        {"images", r.count}, {"loss", r.loss}, {"accuracy", r.accuracy}, {"correct", r.correct}};
  }
  if (o.json) {
    fmt::print("{}\n", out.dump(2));
    return kExitOk;
  }
  fmt::print("rethink eval: {} from {}{}\n", o.data.model, source.weights.string(),
             meta("step").empty()
                 ? std::string()
                 : fmt::format(" (epoch {}, step {})", meta("epoch"), meta("step")));
  std::string how = fmt::format("  data {}", data.spec);
  if (randomized.mode != Randomization::kNone) {
    how += fmt::format(", randomize {} (seed {}", randomization_name(randomized.mode), o.data.seed);
    if (randomizes_labels(randomized.mode)) {
      how += fmt::format(", p = {}, test labels {}", randomized.corrupt_prob,
                         randomized.corrupt_test ? "corrupted" : "clean");
    }
    how += ")";
  }
  fmt::print("{}\n{:<6} {:>8} {:>10} {:>10}\n", how, "split", "images", "loss", "accuracy");
  for (const auto& [name, r] : results) fmt::print("{}\n", split_line(name, r));
  return kExitOk;
}

}  // namespace

Command add_eval_command(CLI::App& app) {
  auto o = std::make_shared<EvalOptions>();
  CLI::App* sub = app.add_subcommand(
      "eval", "Accuracy and loss of saved weights on a data set, optionally randomized");
  sub->add_option("--checkpoint", o->checkpoint,
                  "A run directory (its latest checkpoint), a checkpoint folder, or a weights "
                  ".safetensors file")
      ->required();
  sub->add_option("--model", o->data.model,
                  "The model the weights are for (default: the run's, or the file's metadata)");
  sub->add_option("--data", o->data.data,
                  "Data source, as rethink fit takes it (default: the "
                  "run's, else fashion-mnist)");
  sub->add_option("--subset", o->data.subset.train, "The first N training images (0: all)")
      ->check(non_negative());
  sub->add_option("--subset-mode", o->data.subset.mode, "first or balanced")
      ->check(CLI::IsMember({"first", "balanced"}));
  sub->add_option("--test-subset", o->data.subset.test, "The first M test images (0: all)")
      ->check(non_negative());
  sub->add_option("--seed", o->data.seed, "Seed of the subset and the randomization");
  sub->add_option("--randomize", o->data.randomize,
                  "none, partial-labels, random-labels, shuffled-pixels, random-pixels or "
                  "gaussian (default: the run's)")
      ->check(CLI::IsMember({"none", "partial-labels", "random-labels", "shuffled-pixels",
                             "random-pixels", "gaussian"}));
  sub->add_option("--corrupt-prob", o->data.corrupt_prob,
                  "partial-labels: probability that a label is redrawn")
      ->check(fraction());
  sub->add_flag("--corrupt-test", o->data.corrupt_test,
                "Corrupt the test labels too (label randomizations)");
  sub->add_option("--split", o->split, "train, test or both")
      ->check(CLI::IsMember({"train", "test", "both"}))
      ->capture_default_str();
  sub->add_option("--batch", o->batch, "Evaluation batch size")
      ->check(positive())
      ->capture_default_str();
  sub->add_option("--threads", o->threads, "CPU threads (0: all cores)")->check(non_negative());
  sub->add_flag("--json", o->json, "Print the results as JSON");
  return {sub, [o, sub] { return run_eval(*sub, *o); }};
}

}  // namespace rethink::cli
