// IDX files (MNIST, Fashion-MNIST), gzip-compressed or raw: a 4-byte magic (0, 0, element type,
// rank), the rank's big-endian 32-bit dimensions, then the elements in row-major order.
// rethink reads unsigned-byte elements only (type 0x08), as every image data set ships them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "datasets/readers/raw.h"

namespace rethink::readers {

struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;
};

// Parses an uncompressed IDX file's bytes; `name` names it in messages.
IdxArray parse_idx(std::span<const uint8_t> bytes, const std::string& name);

// The file's bytes, inflated first when they are gzip, then parsed. The fuzz target's entry.
IdxArray decode_idx(std::span<const uint8_t> bytes, const std::string& name);

// An images file ([N, H, W] or [N, H, W, C]) and its labels file ([N]), checked against each
// other. Labels are not range-checked here: that needs the class count (read_idx_folder).
RawSplit read_idx_split(const std::filesystem::path& images, const std::filesystem::path& labels);

// DIR/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz] (the names MNIST and Fashion-MNIST
// ship with). `classes` > 0 fixes the class count (10 for Fashion-MNIST); 0 takes it from the
// largest training label. A test label outside the training classes is an error.
RawDataset read_idx_folder(const std::filesystem::path& dir, int64_t classes = 0);

}  // namespace rethink::readers
