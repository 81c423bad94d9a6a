// The weights file: a model's parameters and exported buffers in safetensors, under PyTorch's
// names and in PyTorch's layouts, so that tools/torch_models.py (or any PyTorch model with the
// same names) loads it with load_state_dict(strict=True). docs/CHECKPOINTS.md is the reference.
//
//   save_weights(model, "run/weights.safetensors", weights_metadata("inception", input));
//   load_weights(model, "run/weights.safetensors");
//
// What is in it:
// - every parameter (Module::parameters()); conv filters (ExportLayout::kOhwi, OHWI in memory)
//   are written OIHW, as PyTorch's Conv2d.weight; everything else is already PyTorch's layout
//   (Linear weights (out, in)).
// - every BufferKind::kExported buffer: BatchNorm2d's running_mean and running_var (the
//   bias-corrected statistics that eval mode uses) and num_batches_tracked (int32 []).
//   kResume buffers are not: checkpoints keep them in a file of their own.
// - metadata (strings): format, format_version, layout, and whatever the caller adds
//   (weights_metadata: model, input C,H,W, classes).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "models/module.h"
#include "models/zoo/registry.h"
#include "runtime/safetensors.h"

namespace rethink {

inline constexpr std::string_view kWeightsFormat = "rethink-weights";
// Bumped when a file written now could be misread by an older reader.
inline constexpr int kWeightsFormatVersion = 1;

// The metadata a zoo model's weights file carries: model, input ("C,H,W") and classes.
std::map<std::string, std::string> weights_metadata(std::string_view model,
                                                    const ModelInput& input);

// The tensors a weights file holds for `model`, in file order (parameters in registration
// order, then the exported buffers), in PyTorch's layouts, on the host. Fresh copies.
std::vector<std::pair<std::string, Tensor>> weights_tensors(const Module& model);

// `t` (host or device) in the layout a weights file holds it in, on the host; `t` itself when
// the layouts agree and t is on the host. Gradients export the same way as their parameters.
Tensor to_export_layout(const Tensor& t, ExportLayout layout);
// The inverse: a tensor read from a weights file, into the model's layout (host).
Tensor from_export_layout(const Tensor& t, ExportLayout layout);

// Writes the model's weights to `path` (replacing it): to a temporary name beside it, flushed to
// disk, then renamed, so a crash leaves either the old file or the new one. `metadata` is added
// to the format's own keys (format, format_version, layout), which it may not redefine.
// An unwritable path is a UserError naming it.
void save_weights(const Module& model, const std::filesystem::path& path,
                  const std::map<std::string, std::string>& metadata = {});

// Loads a weights file into `model` (its parameters in place, on whatever device they are, and
// its exported buffers through Module::load_buffers) and returns the file's metadata. The file
// must hold exactly the model's tensors: a missing, extra, mis-shaped or mis-typed tensor is a
// UserError naming the file, each such tensor and both shapes and dtypes; nothing is changed
// then. A file from a newer format version is refused likewise.
std::map<std::string, std::string> load_weights(Module& model, const std::filesystem::path& path);
// The same from a decoded file; `source` names it in errors.
std::map<std::string, std::string> load_weights(Module& model, const SafetensorsFile& file,
                                                std::string_view source);

}  // namespace rethink
