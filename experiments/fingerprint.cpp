#include "experiments/fingerprint.h"

#include <fmt/format.h>

namespace rethink {

uint64_t fnv1a64(const void* data, size_t size, uint64_t hash) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) {
    hash ^= p[i];
    hash *= 0x100000001b3ull;
  }
  return hash;
}

uint64_t fnv1a64(std::string_view bytes) { return fnv1a64(bytes.data(), bytes.size()); }

uint64_t tensor_fingerprint(const Tensor& t) {
  const Tensor host = t.to(Device::cpu());
  const std::string header =
      fmt::format("{} {}", dtype_name(host.dtype()), host.shape().to_string());
  return fnv1a64(host.raw_data(), host.nbytes(), fnv1a64(header));
}

std::string hex64(uint64_t value) { return fmt::format("{:016x}", value); }

}  // namespace rethink
