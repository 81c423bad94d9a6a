// CIFAR-10's binary version: data_batch_1.bin .. data_batch_5.bin and test_batch.bin, each a
// run of 3073-byte records (one label byte, then 1024 red, 1024 green and 1024 blue bytes of a
// 32x32 image, rows top to bottom). The reader converts CHW to rethink's HWC.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "datasets/readers/raw.h"

namespace rethink::readers {

inline constexpr int64_t kCifarSide = 32;
inline constexpr int64_t kCifarChannels = 3;
inline constexpr int64_t kCifarClasses = 10;
inline constexpr int64_t kCifarRecordBytes = 1 + kCifarSide * kCifarSide * kCifarChannels;

// One batch file's bytes; `name` names it in messages. The fuzz target's entry.
RawSplit parse_cifar10_batch(std::span<const uint8_t> bytes, const std::string& name);

// DIR holds the six .bin files, or DIR/cifar-10-batches-bin does (as the official archive
// unpacks). Every file must be present: a missing batch is an error, never a smaller data set.
RawDataset read_cifar10_folder(const std::filesystem::path& dir);

}  // namespace rethink::readers
