// Checkpoints of a training run: everything a resumed run needs to continue bit for bit.
// docs/CHECKPOINTS.md is the reference for the files.
//
//   <run>/checkpoints/latest.json                  {"checkpoint": "epoch-0003-step-000048", ...}
//   <run>/checkpoints/epoch-0003-step-000048/
//     weights.safetensors   the model (models/weights.h: PyTorch names and layouts)
//     state.safetensors     momentum per parameter, every buffer (BN's exact state), the
//                           training labels; metadata: the TrainState and the run's settings
//     manifest.json         size and FNV-1a fingerprint of both files
//
// A checkpoint is written into a temporary folder, every file flushed, the folder renamed into
// place and flushed, and only then does latest.json (written atomically) point at it; older
// checkpoints are removed after that. A crash at any moment leaves latest.json pointing at a
// complete checkpoint (or absent, before the first).
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "experiments/trainer.h"
#include "models/module.h"
#include "models/zoo/registry.h"
#include "runtime/optim/sgd.h"
#include "runtime/parameter_slab.h"
#include "runtime/safetensors.h"

namespace rethink {

inline constexpr std::string_view kTrainStateFormat = "rethink-train-state";
inline constexpr int kTrainStateFormatVersion = 1;

// What a checkpoint holds besides the tensors the model and optimizer own.
struct CheckpointInfo {
  std::string model;  // zoo name
  ModelInput input;   // what it was built for
  TrainState state;
  nlohmann::json run;   // the run's settings and data fingerprint (fit's business)
  Tensor train_labels;  // the realized (possibly randomized) training labels, int32 [N]
};

// Writes a checkpoint of the model, optimizer and state into <run_dir>/checkpoints and points
// latest.json at it; returns its folder. A checkpoint of the same step that latest.json already
// names is kept as it is (the same state) and returned.
std::filesystem::path write_checkpoint(const std::filesystem::path& run_dir, const Module& model,
                                       const Sgd& sgd, const ParameterSlab& slab,
                                       const CheckpointInfo& info);

// The folder latest.json names, if there is one.
std::optional<std::filesystem::path> latest_checkpoint(const std::filesystem::path& run_dir);

// A checkpoint as read from disk: decoded and checked against its manifest, not yet applied.
struct Checkpoint {
  std::filesystem::path dir;
  SafetensorsFile weights;
  SafetensorsFile state_file;
  std::string model;
  TrainState state;
  nlohmann::json run;
  Tensor train_labels;
};

// Reads `path`: a run directory (its latest checkpoint) or a checkpoint folder. Every problem
// (no checkpoint, a missing, truncated or damaged file, a fingerprint that does not match the
// manifest, a format this build does not read) is a UserError naming the file and what to do.
Checkpoint read_checkpoint(const std::filesystem::path& path);

// Puts the checkpoint's weights, buffers and momentum into the model and optimizer (which must
// be the model the checkpoint was written from: a mismatch is a UserError naming the tensors,
// and nothing is changed then).
void restore_checkpoint(const Checkpoint& checkpoint, Module& model, Sgd& sgd,
                        const ParameterSlab& slab);

// Rewrites a checkpoint folder's manifest from the files as they are now (for tools and tests
// that edit a checkpoint on purpose).
void seal_checkpoint(const std::filesystem::path& checkpoint_dir);

// The TrainState as JSON (doubles round-trip exactly) and back; `source` names the file in
// errors.
nlohmann::json train_state_json(const TrainState& state);
TrainState train_state_from_json(const nlohmann::json& j, std::string_view source);
nlohmann::json epoch_record_json(const EpochRecord& r);

// The tensor each parameter's momentum is saved under.
std::string momentum_tensor_name(const std::string& parameter);

}  // namespace rethink
