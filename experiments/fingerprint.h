// 64-bit FNV-1a fingerprints of bytes: checkpoints record them to catch a truncated or damaged
// file, and a resumed run compares the data set it rebuilt with the one the run trained on.
// Not cryptographic; a guard against accidents, not against tampering.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "runtime/tensor.h"

namespace rethink {

uint64_t fnv1a64(const void* data, size_t size, uint64_t hash = 0xcbf29ce484222325ull);
uint64_t fnv1a64(std::string_view bytes);
// A host copy of the tensor's bytes, hashed with its dtype and shape.
uint64_t tensor_fingerprint(const Tensor& t);
// "0123456789abcdef"
std::string hex64(uint64_t value);

}  // namespace rethink
