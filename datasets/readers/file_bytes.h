// Whole-file reads and gzip inflation for the readers. Every failure is a UserError naming the
// file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace rethink::readers {

// Larger inputs are refused rather than attempted: no data set rethink trains on comes near it,
// and a corrupt length field must not turn into an allocation of any size.
inline constexpr uint64_t kMaxFileBytes = uint64_t{1} << 34;

std::vector<uint8_t> read_file(const std::filesystem::path& path);

bool is_gzip(std::span<const uint8_t> bytes);

// Inflates a gzip stream (several concatenated members allowed). `name` is the file it came
// from, for messages; more than `max_bytes` of output is refused.
std::vector<uint8_t> gunzip(std::span<const uint8_t> bytes, const std::string& name,
                            uint64_t max_bytes = kMaxFileBytes);

// The file's bytes, inflated when they are gzip.
std::vector<uint8_t> read_maybe_gzip(const std::filesystem::path& path);

}  // namespace rethink::readers
