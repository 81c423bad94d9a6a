// The shared data sets beside the checkout (../shared/datasets, or $RETHINK_SHARED_DIR/datasets):
// some machines have them, none must. Tests that use them unpack what they need into a
// temporary folder, never in place, and skip with the reason when they are absent:
//
//   const auto archive = test::shared_cifar10_jpeg();
//   if (!archive) GTEST_SKIP() << test::kNoSharedCifar10;
//   test::unpack(*archive, dir, {"train/cat/000[0-4].jpg", ...});
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/fixture.h"

namespace rethink::test {

inline std::filesystem::path shared_dir() {
  const char* env = std::getenv("RETHINK_SHARED_DIR");
  if (env != nullptr && *env != '\0') return env;
  return source_dir().parent_path() / "shared";
}

// CIFAR-10 as 60,000 JPEG files in the image-folder layout (train/<class>/NNNN.jpg,
// test/<class>/NNNN.jpg), when present.
inline std::optional<std::filesystem::path> shared_cifar10_jpeg() {
  const std::filesystem::path archive = shared_dir() / "datasets" / "cifar10-jpeg.tar.gz";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(archive, ec)) return std::nullopt;
  return archive;
}

inline const std::string kNoSharedCifar10 =
    "no shared CIFAR-10 JPEGs (../shared/datasets/cifar10-jpeg.tar.gz, or "
    "$RETHINK_SHARED_DIR/datasets/): only some machines have them";

// Unpacks the members of `archive` matching `patterns` (tar wildcards; none: everything) into
// `into`. Adds a test failure when tar fails.
inline void unpack(const std::filesystem::path& archive, const std::filesystem::path& into,
                   const std::vector<std::string>& patterns = {}) {
  std::string command = "tar -xzf '" + archive.string() + "' -C '" + into.string() + "'";
  if (!patterns.empty()) {
    command += " --wildcards";
    for (const std::string& p : patterns) command += " '" + p + "'";
  }
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
}

}  // namespace rethink::test
