#include "experiments/checkpoint.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "experiments/fingerprint.h"
#include "experiments/run_dir.h"
#include "kernels/check.h"
#include "models/weights.h"

namespace rethink {
namespace fs = std::filesystem;
namespace {

constexpr const char* kWeightsFile = "weights.safetensors";
constexpr const char* kStateFile = "state.safetensors";
constexpr const char* kManifestFile = "manifest.json";
constexpr const char* kLatestFile = "latest.json";
constexpr const char* kBufferPrefix = "buffer.";
constexpr const char* kLabelsTensor = "data.train_labels";

std::string read_bytes(const fs::path& file, const fs::path& checkpoint) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw UserError(
        fmt::format("checkpoint {} is incomplete: cannot open {} ({}); resume from "
                    "another checkpoint or start the run again",
                    checkpoint.string(), file.string(), std::strerror(errno)));
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw UserError(fmt::format("cannot read {}", file.string()));
  return buffer.str();
}

nlohmann::json parse_json_file(const fs::path& file, std::string_view what) {
  std::ifstream in(file);
  if (!in) {
    throw UserError(
        fmt::format("cannot open {} ({}): {}", file.string(), what, std::strerror(errno)));
  }
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw UserError(fmt::format("{} ({}) is not valid JSON: {}; the file is damaged", file.string(),
                                what, e.what()));
  }
}

nlohmann::json file_entry(const std::string& bytes) {
  return {{"bytes", bytes.size()}, {"fnv1a64", hex64(fnv1a64(bytes))}};
}

std::string checkpoint_name(const TrainState& s) {
  return fmt::format("epoch-{:04d}-step-{:06d}", s.epoch, s.step);
}

// The elements of the slab that `parameter` occupies (it is a view into the slab).
Tensor slab_view(const Tensor& slab_tensor, const ParameterSlab& slab, const Tensor& parameter) {
  const auto* base = static_cast<const unsigned char*>(slab.values().raw_data());
  const auto* at = static_cast<const unsigned char*>(parameter.raw_data());
  const size_t es = dtype_size(parameter.dtype());
  RT_CHECK(at >= base && (at - base) % es == 0, "a parameter outside the parameter slab");
  const int64_t offset = (at - base) / static_cast<std::ptrdiff_t>(es);
  RT_CHECK(offset + parameter.numel() <= slab.numel(), "a parameter outside the parameter slab");
  return slab_tensor.flat_view(offset, parameter.shape());
}

Shape export_shape(const Shape& s, ExportLayout layout) {
  return layout == ExportLayout::kOhwi ? Shape{s[0], s[3], s[1], s[2]} : s;
}

template <class T>
T get(const nlohmann::json& j, const char* key, std::string_view source) {
  if (!j.contains(key)) {
    throw UserError(
        fmt::format("{}: the training state has no '{}'; the checkpoint is from "
                    "another version or damaged",
                    source, key));
  }
  try {
    return j.at(key).get<T>();
  } catch (const nlohmann::json::exception& e) {
    throw UserError(
        fmt::format("{}: the training state's '{}' is malformed: {}", source, key, e.what()));
  }
}

nlohmann::json eval_json(const EvalResult& r) {
  return {{"loss", r.loss}, {"accuracy", r.accuracy}, {"correct", r.correct}, {"count", r.count}};
}

EvalResult eval_from_json(const nlohmann::json& j, std::string_view source) {
  EvalResult r;
  r.loss = get<double>(j, "loss", source);
  r.accuracy = get<double>(j, "accuracy", source);
  r.correct = get<int64_t>(j, "correct", source);
  r.count = get<int64_t>(j, "count", source);
  return r;
}

EpochRecord epoch_record_from_json(const nlohmann::json& j, std::string_view source) {
  EpochRecord r;
  r.epoch = get<int64_t>(j, "epoch", source);
  r.step = get<int64_t>(j, "step", source);
  r.images_seen = get<int64_t>(j, "images_seen", source);
  r.lr = get<double>(j, "lr", source);
  r.train_loss = get<double>(j, "train_loss", source);
  r.train_accuracy = get<double>(j, "train_accuracy", source);
  r.grad_norm = get<double>(j, "grad_norm", source);
  r.full_train = eval_from_json(get<nlohmann::json>(j, "full_train", source), source);
  r.test = eval_from_json(get<nlohmann::json>(j, "test", source), source);
  r.best_test_accuracy = get<double>(j, "best_test_accuracy", source);
  r.seconds = get<double>(j, "seconds", source);
  r.images_per_second = get<double>(j, "images_per_second", source);
  return r;
}

}  // namespace

std::string momentum_tensor_name(const std::string& parameter) {
  return "momentum_buffer." + parameter;
}

nlohmann::json epoch_record_json(const EpochRecord& r) {
  return {{"epoch", r.epoch},
          {"step", r.step},
          {"images_seen", r.images_seen},
          {"lr", r.lr},
          {"train_loss", r.train_loss},
          {"train_accuracy", r.train_accuracy},
          {"grad_norm", r.grad_norm},
          {"full_train", eval_json(r.full_train)},
          {"test", eval_json(r.test)},
          {"best_test_accuracy", r.best_test_accuracy},
          {"seconds", r.seconds},
          {"images_per_second", r.images_per_second}};
}

nlohmann::json train_state_json(const TrainState& s) {
  nlohmann::json j = {{"epoch", s.epoch},
                      {"step_in_epoch", s.step_in_epoch},
                      {"step", s.step},
                      {"images_seen", s.images_seen},
                      {"lr", s.lr},
                      {"loss_sum", s.loss_sum},
                      {"correct", s.correct},
                      {"seen", s.seen},
                      {"grad_norm_sum", s.grad_norm_sum},
                      {"grad_norm_steps", s.grad_norm_steps},
                      {"best_test_accuracy", s.best_test_accuracy},
                      {"fit", s.fit},
                      {"fit_epoch", s.fit_epoch},
                      {"fit_step", s.fit_step},
                      {"fit_seconds", s.fit_seconds},
                      {"fit_step_seconds", s.fit_step_seconds},
                      {"seconds", s.seconds},
                      {"step_seconds", s.step_seconds},
                      {"evaluated", s.evaluated}};
  if (s.evaluated) j["last"] = epoch_record_json(s.last);
  return j;
}

TrainState train_state_from_json(const nlohmann::json& j, std::string_view source) {
  TrainState s;
  s.epoch = get<int64_t>(j, "epoch", source);
  s.step_in_epoch = get<int64_t>(j, "step_in_epoch", source);
  s.step = get<int64_t>(j, "step", source);
  s.images_seen = get<int64_t>(j, "images_seen", source);
  s.lr = get<double>(j, "lr", source);
  s.loss_sum = get<double>(j, "loss_sum", source);
  s.correct = get<int64_t>(j, "correct", source);
  s.seen = get<int64_t>(j, "seen", source);
  s.grad_norm_sum = get<double>(j, "grad_norm_sum", source);
  s.grad_norm_steps = get<int64_t>(j, "grad_norm_steps", source);
  s.best_test_accuracy = get<double>(j, "best_test_accuracy", source);
  s.fit = get<bool>(j, "fit", source);
  s.fit_epoch = get<int64_t>(j, "fit_epoch", source);
  s.fit_step = get<int64_t>(j, "fit_step", source);
  s.fit_seconds = get<double>(j, "fit_seconds", source);
  s.fit_step_seconds = get<double>(j, "fit_step_seconds", source);
  s.seconds = get<double>(j, "seconds", source);
  s.step_seconds = get<double>(j, "step_seconds", source);
  s.evaluated = get<bool>(j, "evaluated", source);
  if (s.evaluated) s.last = epoch_record_from_json(get<nlohmann::json>(j, "last", source), source);
  if (s.epoch < 0 || s.step < 0 || s.step_in_epoch < 0 || s.images_seen < 0) {
    throw UserError(fmt::format("{}: the training state has negative counters", source));
  }
  return s;
}

fs::path write_checkpoint(const fs::path& run_dir, const Module& model, const Sgd& sgd,
                          const ParameterSlab& slab, const CheckpointInfo& info) {
  const fs::path root = run_dir / "checkpoints";
  const std::string name = checkpoint_name(info.state);
  const fs::path final_dir = root / name;
  if (const auto latest = latest_checkpoint(run_dir); latest && *latest == final_dir) {
    return final_dir;  // this very state is on disk already
  }
  std::error_code ec;
  fs::create_directories(root, ec);
  RT_CHECK(!ec, "cannot create {}: {}", root.string(), ec.message());
  const fs::path tmp = root / fmt::format(".tmp-{}-{}", name, ::getpid());
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  RT_CHECK(!ec, "cannot create {}: {}", tmp.string(), ec.message());

  std::map<std::string, std::string> weights_meta = weights_metadata(info.model, info.input);
  weights_meta["step"] = std::to_string(info.state.step);
  weights_meta["epoch"] = std::to_string(info.state.epoch);
  save_weights(model, tmp / kWeightsFile, weights_meta);

  std::vector<std::pair<std::string, Tensor>> tensors;
  for (const NamedParameter& p : model.parameters()) {
    Tensor m = to_export_layout(slab_view(sgd.momentum_buffer(), slab, p.tensor), p.layout);
    if (m.shares_memory_with(sgd.momentum_buffer())) m = m.clone();
    tensors.emplace_back(momentum_tensor_name(p.name), m);
  }
  for (const NamedBuffer& b : model.buffers()) {
    tensors.emplace_back(kBufferPrefix + b.name, b.tensor.to(Device::cpu()).clone());
  }
  tensors.emplace_back(kLabelsTensor, info.train_labels.to(Device::cpu()).clone());
  const std::map<std::string, std::string> state_meta = {
      {"format", std::string(kTrainStateFormat)},
      {"format_version", std::to_string(kTrainStateFormatVersion)},
      {"model", info.model},
      {"input", fmt::format("{},{},{}", info.input.channels, info.input.height, info.input.width)},
      {"classes", std::to_string(info.input.classes)},
      {"step", std::to_string(info.state.step)},
      {"epoch", std::to_string(info.state.epoch)},
      {"state", train_state_json(info.state).dump()},
      {"run", info.run.dump()},
  };
  write_file_atomically(tmp / kStateFile, encode_safetensors(tensors, state_meta));
  seal_checkpoint(tmp);
  sync_directory(tmp);

  if (fs::exists(final_dir)) fs::remove_all(final_dir, ec);  // a stale copy latest never named
  fs::rename(tmp, final_dir, ec);
  RT_CHECK(!ec, "cannot rename {} to {}: {}", tmp.string(), final_dir.string(), ec.message());
  sync_directory(root);
  const nlohmann::json latest = {{"checkpoint", name},
                                 {"epoch", info.state.epoch},
                                 {"step", info.state.step},
                                 {"model", info.model}};
  write_file_atomically(root / kLatestFile, latest.dump(2) + "\n");
  sync_directory(root);
  // Only now may the previous checkpoints go.
  for (const auto& entry : fs::directory_iterator(root)) {
    if (entry.is_directory() && entry.path() != final_dir) fs::remove_all(entry.path(), ec);
  }
  return final_dir;
}

std::optional<fs::path> latest_checkpoint(const fs::path& run_dir) {
  const fs::path latest = run_dir / "checkpoints" / kLatestFile;
  if (!fs::exists(latest)) return std::nullopt;
  const nlohmann::json j = parse_json_file(latest, "the latest checkpoint's name");
  if (!j.contains("checkpoint") || !j["checkpoint"].is_string()) {
    throw UserError(fmt::format("{} names no checkpoint; the file is damaged", latest.string()));
  }
  return run_dir / "checkpoints" / j["checkpoint"].get<std::string>();
}

void seal_checkpoint(const fs::path& dir) {
  nlohmann::json files;
  for (const char* file : {kWeightsFile, kStateFile}) {
    files[file] = file_entry(read_bytes(dir / file, dir));
  }
  const nlohmann::json manifest = {
      {"format", "rethink-checkpoint"}, {"format_version", 1}, {"files", files}};
  write_file_atomically(dir / kManifestFile, manifest.dump(2) + "\n");
}

Checkpoint read_checkpoint(const fs::path& path) {
  fs::path dir = path;
  if (!fs::exists(path / kManifestFile)) {
    if (!fs::is_directory(path)) {
      throw UserError(
          fmt::format("{} is not a run directory or a checkpoint folder", path.string()));
    }
    const auto latest = latest_checkpoint(path);
    if (!latest) {
      throw UserError(fmt::format(
          "{} holds no checkpoint ({} is missing): the run stopped before its first "
          "checkpoint, or the folder is not a run of rethink fit; start it again without "
          "--resume",
          path.string(), (path / "checkpoints" / kLatestFile).string()));
    }
    dir = *latest;
  }
  const nlohmann::json manifest = parse_json_file(dir / kManifestFile, "the checkpoint manifest");
  Checkpoint ck;
  ck.dir = dir;
  std::map<std::string, std::string> bytes;
  for (const char* file : {kWeightsFile, kStateFile}) {
    std::string content = read_bytes(dir / file, dir);
    const nlohmann::json expected =
        manifest.value("files", nlohmann::json::object()).value(file, nlohmann::json());
    const nlohmann::json actual = file_entry(content);
    if (expected != actual) {
      throw UserError(fmt::format(
          "checkpoint {} is damaged: {} has {} bytes, fingerprint {}, but the manifest "
          "records {}; resume from an intact copy or start the run again",
          dir.string(), file, actual["bytes"].get<size_t>(), actual["fnv1a64"].get<std::string>(),
          expected.is_null() ? std::string("nothing") : expected.dump()));
    }
    bytes[file] = std::move(content);
  }
  ck.weights = decode_safetensors(bytes[kWeightsFile], (dir / kWeightsFile).string());
  const std::string state_source = (dir / kStateFile).string();
  ck.state_file = decode_safetensors(bytes[kStateFile], state_source);
  const auto& meta = ck.state_file.metadata;
  const auto field = [&](const char* key) -> const std::string& {
    const auto it = meta.find(key);
    if (it == meta.end()) {
      throw UserError(fmt::format("{}: no '{}' in the metadata; not a rethink training state",
                                  state_source, key));
    }
    return it->second;
  };
  if (field("format") != kTrainStateFormat) {
    throw UserError(
        fmt::format("{}: format '{}' is not {}", state_source, field("format"), kTrainStateFormat));
  }
  if (field("format_version") != std::to_string(kTrainStateFormatVersion)) {
    throw UserError(
        fmt::format("{}: format_version {} is not one this build reads ({}); resume "
                    "with the build that wrote it",
                    state_source, field("format_version"), kTrainStateFormatVersion));
  }
  ck.model = field("model");
  try {
    ck.state = train_state_from_json(nlohmann::json::parse(field("state")), state_source);
    ck.run = nlohmann::json::parse(field("run"));
  } catch (const nlohmann::json::exception& e) {
    throw UserError(
        fmt::format("{}: the training state is not valid JSON: {}", state_source, e.what()));
  }
  const Tensor* labels = ck.state_file.find(kLabelsTensor);
  if (labels == nullptr || labels->dtype() != DType::kInt32 || labels->rank() != 1) {
    throw UserError(fmt::format("{}: no int32 '{}' tensor", state_source, kLabelsTensor));
  }
  ck.train_labels = *labels;
  const auto weights_model = ck.weights.metadata.find("model");
  if (weights_model != ck.weights.metadata.end() && weights_model->second != ck.model) {
    throw UserError(fmt::format("checkpoint {} mixes two models: weights of '{}', state of '{}'",
                                dir.string(), weights_model->second, ck.model));
  }
  return ck;
}

void restore_checkpoint(const Checkpoint& ck, Module& model, Sgd& sgd, const ParameterSlab& slab) {
  const std::string state_source = (ck.dir / kStateFile).string();
  // Check everything first, so that a refused checkpoint changes nothing.
  std::vector<std::string> problems;
  const std::vector<NamedParameter> params = model.parameters();
  for (const NamedParameter& p : params) {
    const std::string name = momentum_tensor_name(p.name);
    const Tensor* t = ck.state_file.find(name);
    const Shape want = export_shape(p.tensor.shape(), p.layout);
    if (t == nullptr) {
      problems.push_back(fmt::format("'{}' is missing", name));
    } else if (t->shape() != want || t->dtype() != p.tensor.dtype()) {
      problems.push_back(fmt::format("'{}' is {} {} in the file but {} {} in the model", name,
                                     dtype_name(t->dtype()), t->shape().to_string(),
                                     dtype_name(p.tensor.dtype()), want.to_string()));
    }
  }
  std::map<std::string, Tensor> buffers;
  std::set<std::string> model_buffers;
  for (const NamedBuffer& b : model.buffers()) {
    model_buffers.insert(b.name);
    const Tensor* t = ck.state_file.find(kBufferPrefix + b.name);
    if (t == nullptr) {
      problems.push_back(fmt::format("'{}{}' is missing", kBufferPrefix, b.name));
    } else {
      buffers.emplace(b.name, *t);
    }
  }
  for (const auto& [name, t] : ck.state_file.tensors) {
    if (name.rfind(kBufferPrefix, 0) == 0 &&
        !model_buffers.contains(name.substr(std::strlen(kBufferPrefix)))) {
      problems.push_back(fmt::format("'{}' is not a buffer of the model", name));
    }
  }
  if (!problems.empty()) {
    std::string list;
    for (size_t i = 0; i < problems.size() && i < 8; ++i) list += "\n  " + problems[i];
    if (problems.size() > 8) list += fmt::format("\n  ... and {} more", problems.size() - 8);
    throw UserError(
        fmt::format("{}: the optimizer state does not fit this model (the file says "
                    "model '{}'):{}",
                    state_source, ck.model, list));
  }
  load_weights(model, ck.weights, (ck.dir / kWeightsFile).string());
  try {
    model.load_buffers(buffers);
  } catch (const UserError&) {
    throw;
  } catch (const Error& e) {
    throw UserError(fmt::format("{}: {}", state_source, e.what()));
  }
  for (const NamedParameter& p : params) {
    const Tensor& saved = *ck.state_file.find(momentum_tensor_name(p.name));
    slab_view(sgd.momentum_buffer(), slab, p.tensor).copy_(from_export_layout(saved, p.layout));
  }
}

}  // namespace rethink
