// The decoded-image cache of an image folder: one binary file holding both splits' labels and
// uint8 pixels, keyed by a hash of every source file's path, size and modification time, and
// closed by a CRC-32 of its contents. A cache that does not match its key or its checksum is
// ignored (and rebuilt by the caller), never trusted.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "datasets/readers/raw.h"

namespace rethink::readers {

// The cache, or nullopt with `why` set when it is absent, stale or corrupt.
std::optional<RawDataset> read_image_cache(const std::filesystem::path& file, uint64_t key,
                                           std::string& why);

// Writes through a temporary file and a rename, so that a reader never sees half a cache.
// Returns false with `why` set when the file cannot be written.
bool write_image_cache(const std::filesystem::path& file, uint64_t key, const RawDataset& data,
                       std::string& why);

// 64-bit FNV-1a, the key's hash: cheap and, for this use, collision-free enough.
struct Fnv1a {
  uint64_t state = 0xcbf29ce484222325ull;
  void add(const void* data, size_t size) {
    const auto* p = static_cast<const uint8_t*>(data);
    for (size_t i = 0; i < size; ++i) state = (state ^ p[i]) * 0x100000001b3ull;
  }
  void add(const std::string& s) {
    add_u64(s.size());
    add(s.data(), s.size());
  }
  void add_u64(uint64_t v) { add(&v, sizeof v); }
};

}  // namespace rethink::readers
