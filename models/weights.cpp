#include "models/weights.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

namespace rethink {
namespace {

constexpr std::string_view kLayoutNote =
    "PyTorch names and layouts: conv weights OIHW, linear weights (out, in); the model takes "
    "NHWC activations, so a PyTorch model takes x.permute(0, 3, 1, 2) and flattens after "
    "permute(0, 2, 3, 1); batch-norm running_mean/running_var are bias-corrected";

// At most this many problems are listed in one error; the rest are counted.
constexpr size_t kMaxListedProblems = 8;

// Moves dimension `from` of a rank-4 tensor's bytes to position `to` by an index map on the
// host: OHWI -> OIHW is the last dimension moving to position 1, and back.
Tensor permute4(const Tensor& src, bool ohwi_to_oihw) {
  const Shape& s = src.shape();
  const int64_t d0 = s[0], d1 = s[1], d2 = s[2], d3 = s[3];
  const Shape out_shape = ohwi_to_oihw ? Shape{d0, d3, d1, d2} : Shape{d0, d2, d3, d1};
  Tensor out = Tensor::empty(out_shape, src.dtype());
  const size_t es = dtype_size(src.dtype());
  const auto* in = static_cast<const unsigned char*>(src.raw_data());
  auto* dst = static_cast<unsigned char*>(out.raw_data());
  int64_t i = 0;  // source element index, walked in source order
  for (int64_t a = 0; a < d0; ++a) {
    for (int64_t b = 0; b < d1; ++b) {
      for (int64_t c = 0; c < d2; ++c) {
        for (int64_t d = 0; d < d3; ++d, ++i) {
          // OHWI [a, b, c, d] -> OIHW [a, d, b, c]; OIHW [a, b, c, d] -> OHWI [a, c, d, b].
          const int64_t j =
              ohwi_to_oihw ? ((a * d3 + d) * d1 + b) * d2 + c : ((a * d2 + c) * d3 + d) * d1 + b;
          std::memcpy(dst + j * es, in + i * es, es);
        }
      }
    }
  }
  return out;
}

// One tensor the model expects in the file, and where its value goes.
struct Slot {
  std::string name;
  Tensor target;  // the live parameter; undefined for a buffer
  ExportLayout layout = ExportLayout::kPyTorch;
  Shape file_shape;
  DType dtype{};
};

Shape export_shape(const Shape& s, ExportLayout layout) {
  if (layout == ExportLayout::kOhwi) return Shape{s[0], s[3], s[1], s[2]};
  return s;
}

std::string describe(DType dtype, const Shape& shape) {
  return fmt::format("{} {}", dtype_name(dtype), shape.to_string());
}

void write_file_durably(const std::filesystem::path& path, const std::string& bytes) {
  const std::filesystem::path tmp = path.string() + fmt::format(".tmp-{}", ::getpid());
  const auto fail = [&](std::string_view what) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw UserError(
        fmt::format("cannot write weights to {}: {} {} ({}); check that the "
                    "directory exists and is writable",
                    path.string(), what, tmp.string(), std::strerror(err)));
  };
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int err = errno;
    throw UserError(
        fmt::format("cannot write weights to {}: cannot create {} ({}); check that "
                    "the directory exists and is writable",
                    path.string(), tmp.string(), std::strerror(err)));
  }
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      fail("writing");
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    fail("flushing");
  }
  if (::close(fd) != 0) fail("closing");
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail("renaming");
  // The rename itself is durable once the directory is flushed; failing that is no loss.
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace

std::map<std::string, std::string> weights_metadata(std::string_view model,
                                                    const ModelInput& input) {
  return {{"model", std::string(model)},
          {"input", fmt::format("{},{},{}", input.channels, input.height, input.width)},
          {"classes", std::to_string(input.classes)}};
}

Tensor to_export_layout(const Tensor& t, ExportLayout layout) {
  const Tensor host = t.to(Device::cpu());
  if (layout == ExportLayout::kPyTorch) return host;
  RT_CHECK(t.rank() == 4, "to_export_layout: an OHWI filter must have rank 4, got {}",
           t.describe());
  return permute4(host, /*ohwi_to_oihw=*/true);
}

Tensor from_export_layout(const Tensor& t, ExportLayout layout) {
  const Tensor host = t.to(Device::cpu());
  if (layout == ExportLayout::kPyTorch) return host;
  RT_CHECK(t.rank() == 4, "from_export_layout: an OIHW filter must have rank 4, got {}",
           t.describe());
  return permute4(host, /*ohwi_to_oihw=*/false);
}

std::vector<std::pair<std::string, Tensor>> weights_tensors(const Module& model) {
  std::vector<std::pair<std::string, Tensor>> out;
  for (const NamedParameter& p : model.parameters()) {
    // A host tensor in PyTorch's layout would come back as the live parameter: copy it.
    Tensor t = to_export_layout(p.tensor, p.layout);
    if (t.shares_memory_with(p.tensor)) t = t.clone();
    out.emplace_back(p.name, t.detach());
  }
  for (const NamedBuffer& b : model.buffers()) {
    if (b.kind != BufferKind::kExported) continue;
    out.emplace_back(b.name, b.tensor.to(Device::cpu()).clone());
  }
  return out;
}

void save_weights(const Module& model, const std::filesystem::path& path,
                  const std::map<std::string, std::string>& metadata) {
  std::map<std::string, std::string> meta = {
      {"format", std::string(kWeightsFormat)},
      {"format_version", std::to_string(kWeightsFormatVersion)},
      {"layout", std::string(kLayoutNote)},
  };
  for (const auto& [key, value] : metadata) {
    RT_CHECK(!meta.contains(key), "save_weights: metadata key '{}' is the format's own", key);
    meta.emplace(key, value);
  }
  write_file_durably(path, encode_safetensors(weights_tensors(model), meta));
}

std::map<std::string, std::string> load_weights(Module& model, const std::filesystem::path& path) {
  return load_weights(model, read_safetensors(path), path.string());
}

std::map<std::string, std::string> load_weights(Module& model, const SafetensorsFile& file,
                                                std::string_view source) {
  if (const auto it = file.metadata.find("format_version"); it != file.metadata.end()) {
    int version = 0;
    try {
      version = std::stoi(it->second);
    } catch (const std::exception&) {
      version = -1;
    }
    if (version < 1 || version > kWeightsFormatVersion) {
      throw UserError(fmt::format(
          "{}: weights format_version '{}' is not one this build reads (1 to {}): write it with "
          "a build of the same or an older version",
          source, it->second, kWeightsFormatVersion));
    }
  }

  std::vector<Slot> slots;
  for (const NamedParameter& p : model.parameters()) {
    slots.push_back(
        {p.name, p.tensor, p.layout, export_shape(p.tensor.shape(), p.layout), p.tensor.dtype()});
  }
  std::vector<NamedBuffer> buffers = model.buffers();
  for (const NamedBuffer& b : buffers) {
    if (b.kind != BufferKind::kExported) continue;
    slots.push_back({b.name, Tensor(), ExportLayout::kPyTorch, b.tensor.shape(), b.tensor.dtype()});
  }

  std::vector<std::string> problems;
  std::set<std::string> expected;
  for (const Slot& s : slots) {
    expected.insert(s.name);
    const Tensor* t = file.find(s.name);
    if (t == nullptr) {
      problems.push_back(fmt::format("tensor '{}' is missing (the model's is {})", s.name,
                                     describe(s.dtype, s.file_shape)));
    } else if (t->shape() != s.file_shape || t->dtype() != s.dtype) {
      problems.push_back(fmt::format("tensor '{}' is {} in the file but {} in the model{}", s.name,
                                     describe(t->dtype(), t->shape()),
                                     describe(s.dtype, s.file_shape),
                                     s.layout == ExportLayout::kOhwi ? " (OIHW, as PyTorch)" : ""));
    }
  }
  for (const auto& [name, t] : file.tensors) {
    if (!expected.contains(name)) {
      problems.push_back(fmt::format("tensor '{}' ({}) is not in the model", name,
                                     describe(t.dtype(), t.shape())));
    }
  }
  if (!problems.empty()) {
    std::string list;
    for (size_t i = 0; i < std::min(problems.size(), kMaxListedProblems); ++i) {
      list += fmt::format("\n  {}", problems[i]);
    }
    if (problems.size() > kMaxListedProblems) {
      list += fmt::format("\n  ... and {} more", problems.size() - kMaxListedProblems);
    }
    const auto model_name = file.metadata.find("model");
    throw UserError(fmt::format(
        "{}: the weights do not fit this model ({} problem{}):{}\nload weights saved from the "
        "same model and input shape{}",
        source, problems.size(), problems.size() == 1 ? "" : "s", list,
        model_name == file.metadata.end()
            ? std::string()
            : fmt::format(" (the file says model '{}'{})", model_name->second,
                          file.metadata.contains("input")
                              ? fmt::format(", input {}", file.metadata.at("input"))
                              : std::string())));
  }

  // Buffers first: they are the only part whose values can still be refused (a negative
  // num_batches_tracked), and a refused file must leave the parameters as they were.
  std::map<std::string, Tensor> buffer_values;
  for (const Slot& s : slots) {
    if (!s.target.defined()) buffer_values.emplace(s.name, *file.find(s.name));
  }
  if (!buffer_values.empty()) {
    try {
      model.load_buffers(buffer_values);
    } catch (const UserError&) {
      throw;
    } catch (const Error& e) {
      throw UserError(fmt::format("{}: {}", source, e.what()));
    }
  }
  for (const Slot& s : slots) {
    if (s.target.defined()) s.target.copy_(from_export_layout(*file.find(s.name), s.layout));
  }
  return file.metadata;
}

}  // namespace rethink
