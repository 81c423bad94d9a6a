#include "runtime/safetensors.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace rethink {
namespace {

static_assert(std::endian::native == std::endian::little,
              "safetensors stores little-endian bytes; a big-endian host would need swapping");

// Headers are JSON of a few kilobytes per hundred tensors; anything near this is corrupt.
constexpr uint64_t kMaxHeaderBytes = uint64_t{100} << 20;

std::string_view safetensors_dtype(DType t) {
  switch (t) {
    case DType::kFloat32:
      return "F32";
    case DType::kFloat64:
      return "F64";
    case DType::kInt32:
      return "I32";
    case DType::kUInt8:
      return "U8";
  }
  return "?";
}

bool parse_dtype(std::string_view name, DType* out) {
  for (const DType t : {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kUInt8}) {
    if (safetensors_dtype(t) == name) {
      *out = t;
      return true;
    }
  }
  return false;
}

[[noreturn]] void malformed(std::string_view source, const std::string& what) {
  throw UserError(fmt::format("{}: not a valid safetensors file: {}", source, what));
}

Tensor decode_tensor(std::string_view source, const std::string& name, const nlohmann::json& entry,
                     std::string_view data) {
  const auto bad = [&](std::string_view what) {
    malformed(source, fmt::format("tensor '{}' {}", name, what));
  };
  if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") ||
      !entry.contains("data_offsets")) {
    bad("lacks dtype, shape or data_offsets");
  }
  const nlohmann::json& dtype_json = entry["dtype"];
  DType dtype{};
  if (!dtype_json.is_string() || !parse_dtype(dtype_json.get<std::string>(), &dtype)) {
    bad(fmt::format("has dtype {}; supported: F32, F64, I32, U8", dtype_json.dump()));
  }
  std::vector<int64_t> dims;
  if (!entry["shape"].is_array()) bad("has a shape that is not a list");
  for (const nlohmann::json& d : entry["shape"]) {
    if (!d.is_number_unsigned() || d.get<uint64_t>() > (uint64_t{1} << 40)) {
      bad(fmt::format("has shape {}", entry["shape"].dump()));
    }
    dims.push_back(d.get<int64_t>());
  }
  const nlohmann::json& offsets = entry["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
      !offsets[1].is_number_unsigned()) {
    bad(fmt::format("has data_offsets {}; expected [begin, end]", offsets.dump()));
  }
  const uint64_t begin = offsets[0].get<uint64_t>(), end = offsets[1].get<uint64_t>();
  const Shape shape(dims);
  const uint64_t expected = static_cast<uint64_t>(shape.numel()) * dtype_size(dtype);
  if (begin > end || end > data.size()) {
    bad(fmt::format("has data_offsets [{}, {}] outside the {} data bytes (truncated file?)", begin,
                    end, data.size()));
  }
  if (end - begin != expected) {
    bad(fmt::format("has {} data bytes but its shape {} needs {}", end - begin, shape.to_string(),
                    expected));
  }
  Tensor t = Tensor::empty(shape, dtype);
  if (expected > 0) std::memcpy(t.raw_data(), data.data() + begin, expected);
  return t;
}

}  // namespace

const Tensor* SafetensorsFile::find(std::string_view name) const {
  for (const auto& [n, t] : tensors) {
    if (n == name) return &t;
  }
  return nullptr;
}

SafetensorsFile decode_safetensors(std::string_view bytes, std::string_view source) {
  if (bytes.size() < 8) malformed(source, fmt::format("only {} bytes", bytes.size()));
  uint64_t header_bytes = 0;
  std::memcpy(&header_bytes, bytes.data(), 8);
  if (header_bytes > kMaxHeaderBytes || header_bytes > bytes.size() - 8) {
    malformed(source, fmt::format("header length {} does not fit the {}-byte file", header_bytes,
                                  bytes.size()));
  }
  const std::string_view header_text = bytes.substr(8, header_bytes);
  const std::string_view data = bytes.substr(8 + header_bytes);
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(header_text);
  } catch (const nlohmann::json::parse_error& e) {
    malformed(source, fmt::format("header is not JSON ({})", e.what()));
  }
  if (!header.is_object()) malformed(source, "header is not a JSON object");

  SafetensorsFile file;
  std::vector<std::pair<uint64_t, size_t>> order;  // data offset -> index, to list in data order
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) malformed(source, "__metadata__ is not an object");
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string())
          malformed(source, fmt::format("metadata '{}' is not a string", key));
        file.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    file.tensors.emplace_back(name, decode_tensor(source, name, entry, data));
    order.emplace_back(entry["data_offsets"][0].get<uint64_t>(), file.tensors.size() - 1);
  }
  std::sort(order.begin(), order.end());
  std::vector<std::pair<std::string, Tensor>> sorted;
  sorted.reserve(order.size());
  for (const auto& [offset, index] : order) sorted.push_back(std::move(file.tensors[index]));
  file.tensors = std::move(sorted);
  return file;
}

std::string encode_safetensors(const std::vector<std::pair<std::string, Tensor>>& tensors,
                               const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    RT_CHECK(t.defined(), "safetensors: tensor '{}' is undefined", name);
    RT_CHECK(name != "__metadata__" && !header.contains(name),
             "safetensors: tensor name '{}' is reserved or repeated", name);
    header[name] = {{"dtype", safetensors_dtype(t.dtype())},
                    {"shape", t.shape().dims()},
                    {"data_offsets", {offset, offset + t.nbytes()}}};
    offset += t.nbytes();
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // the format aligns the data to 8 bytes
  std::string out(8, '\0');
  const uint64_t header_bytes = text.size();
  std::memcpy(out.data(), &header_bytes, 8);
  out += text;
  out.reserve(out.size() + offset);
  for (const auto& [name, t] : tensors) {
    const Tensor host = t.to(Device::cpu());
    out.append(static_cast<const char*>(host.raw_data()), host.nbytes());
  }
  return out;
}

SafetensorsFile read_safetensors(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UserError(fmt::format("cannot open {}: {}", path.string(), std::strerror(errno)));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw UserError(fmt::format("cannot read {}", path.string()));
  return decode_safetensors(buffer.str(), path.string());
}

}  // namespace rethink
