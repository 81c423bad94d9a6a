// The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length N, N bytes of JSON ({"name": {"dtype", "shape", "data_offsets"}, ...,
// "__metadata__": {string: string}}), then the tensors' raw little-endian bytes. It is what
// checkpoints and the PyTorch test fixtures are written in: PyTorch, NumPy and JAX all read it.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/tensor.h"

namespace rethink {

struct SafetensorsFile {
  std::vector<std::pair<std::string, Tensor>> tensors;  // in the order of their data
  std::map<std::string, std::string> metadata;

  // The tensor called `name`, or nullptr.
  const Tensor* find(std::string_view name) const;
};

// Parses a whole file's bytes; `source` names it in errors. A malformed file (truncated,
// bad JSON, an unknown dtype, offsets outside the data or not matching the shape) throws
// rethink::UserError saying what is wrong with which tensor.
SafetensorsFile decode_safetensors(std::string_view bytes, std::string_view source);
std::string encode_safetensors(const std::vector<std::pair<std::string, Tensor>>& tensors,
                               const std::map<std::string, std::string>& metadata = {});

// Reads the file (an unreadable file is a UserError naming it). Tensors land on the CPU.
SafetensorsFile read_safetensors(const std::filesystem::path& path);

}  // namespace rethink
