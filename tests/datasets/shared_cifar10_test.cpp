// The whole shared CIFAR-10 JPEG set (../shared/datasets/cifar10-jpeg.tar.gz) through
// --data imagefolder: 60,000 files decoded, cached, and read back from the cache (label slow:
// unpacking and decoding take seconds). Skips with the reason where the archive is absent.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "datasets/dataset.h"
#include "tests/datasets/reader_files.h"
#include "tests/support/shared_data.h"

namespace rethink {
namespace {

namespace fs = std::filesystem;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST(SharedCifar10Test, AllSixtyThousandJpegsDecodeAndReloadFromTheCache) {
  const std::optional<fs::path> archive = test::shared_cifar10_jpeg();
  if (!archive) GTEST_SKIP() << test::kNoSharedCifar10;
  const test::TempDir dir;
  fs::create_directories(dir / "data");
  test::unpack(*archive, dir / "data");
  ASSERT_EQ(::setenv("RETHINK_CACHE_DIR", (dir / "cache").c_str(), 1), 0);
  const std::string spec = "imagefolder:" + (dir / "data").string();

  auto start = std::chrono::steady_clock::now();
  const Dataset decoded = load_dataset(spec, 0);
  const double decode_seconds = seconds_since(start);
  start = std::chrono::steady_clock::now();
  const Dataset cached = load_dataset(spec, 0);
  const double cache_seconds = seconds_since(start);
  ::unsetenv("RETHINK_CACHE_DIR");
  std::printf("decoded 60,000 JPEGs in %.2f s; read them back from the cache in %.2f s\n",
              decode_seconds, cache_seconds);
  RecordProperty("decode_seconds", std::to_string(decode_seconds));
  RecordProperty("cache_seconds", std::to_string(cache_seconds));

  EXPECT_FALSE(decoded.from_cache);
  EXPECT_TRUE(cached.from_cache);
  EXPECT_TRUE(fs::is_regular_file(cached.cache_file)) << cached.cache_file;
  EXPECT_EQ(decoded.class_names,
            (std::vector<std::string>{"airplane", "automobile", "bird", "cat", "deer", "dog",
                                      "frog", "horse", "ship", "truck"}));
  EXPECT_EQ(decoded.train.images.shape(), (Shape{50000, 32, 32, 3}));
  EXPECT_EQ(decoded.test.images.shape(), (Shape{10000, 32, 32, 3}));
  std::vector<int> train_count(10, 0), test_count(10, 0);
  for (const int32_t l : decoded.train.labels.to_vector<int32_t>()) ++train_count.at(l);
  for (const int32_t l : decoded.test.labels.to_vector<int32_t>()) ++test_count.at(l);
  EXPECT_EQ(train_count, std::vector<int>(10, 5000));
  EXPECT_EQ(test_count, std::vector<int>(10, 1000));
  EXPECT_EQ(cached.class_names, decoded.class_names);
  EXPECT_EQ(cached.train.labels.to_vector<int32_t>(), decoded.train.labels.to_vector<int32_t>());
  EXPECT_EQ(cached.test.labels.to_vector<int32_t>(), decoded.test.labels.to_vector<int32_t>());
  EXPECT_EQ(cached.train.images.to_vector<uint8_t>(), decoded.train.images.to_vector<uint8_t>());
  EXPECT_EQ(cached.test.images.to_vector<uint8_t>(), decoded.test.images.to_vector<uint8_t>());
}

}  // namespace
}  // namespace rethink
