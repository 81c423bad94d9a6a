// The IDX reader (MNIST, Fashion-MNIST): raw and gzip files round trip, and Fashion-MNIST from
// Debian's package has the sizes and class counts the data set is published with.
#include <gtest/gtest.h>

#include <filesystem>

#include "datasets/dataset.h"
#include "datasets/readers/file_bytes.h"
#include "datasets/readers/idx.h"
#include "kernels/error.h"
#include "tests/datasets/reader_files.h"
#include "tests/support/throws.h"

namespace rethink {
namespace {

using test::idx_bytes;
using test::pattern;
using test::TempDir;
using test::write_bytes;

struct IdxFolder {
  std::vector<uint8_t> train_pixels = pattern(3 * 5 * 4, 1);
  std::vector<uint8_t> train_labels = {2, 0, 1};
  std::vector<uint8_t> test_pixels = pattern(2 * 5 * 4, 2);
  std::vector<uint8_t> test_labels = {1, 2};

  // Training files raw, test files gzipped: both paths in one load.
  void write(const TempDir& dir) const {
    write_bytes(dir / "train-images-idx3-ubyte", idx_bytes({3, 5, 4}, train_pixels));
    write_bytes(dir / "train-labels-idx1-ubyte", idx_bytes({3}, train_labels));
    write_bytes(dir / "t10k-images-idx3-ubyte.gz",
                test::gzip_bytes(idx_bytes({2, 5, 4}, test_pixels)));
    write_bytes(dir / "t10k-labels-idx1-ubyte.gz", test::gzip_bytes(idx_bytes({2}, test_labels)));
  }
};

TEST(IdxReaderTest, RawAndGzipFilesRoundTripPixelsAndLabels) {
  const TempDir dir;
  const IdxFolder files;
  files.write(dir);
  const readers::RawDataset d = readers::read_idx_folder(dir.path());
  EXPECT_EQ(d.classes, 3);  // the largest training label + 1
  EXPECT_EQ(d.train.images.count, 3);
  EXPECT_EQ(d.train.images.height, 5);
  EXPECT_EQ(d.train.images.width, 4);
  EXPECT_EQ(d.train.images.channels, 1);
  EXPECT_EQ(d.train.images.pixels, files.train_pixels);
  EXPECT_EQ(d.train.labels, (std::vector<int32_t>{2, 0, 1}));
  EXPECT_EQ(d.test.images.pixels, files.test_pixels);
  EXPECT_EQ(d.test.labels, (std::vector<int32_t>{1, 2}));
}

TEST(IdxReaderTest, LoadDatasetHoldsUint8NhwcImagesAsStored) {
  const TempDir dir;
  const IdxFolder files;
  files.write(dir);
  const Dataset d = load_dataset("idx:" + dir.path().string(), 0);
  EXPECT_EQ(d.kind, "idx");
  EXPECT_EQ(d.train.images.dtype(), DType::kUInt8);
  EXPECT_EQ(d.train.images.shape(), (Shape{3, 5, 4, 1}));
  EXPECT_EQ(d.test.images.shape(), (Shape{2, 5, 4, 1}));
  EXPECT_EQ(d.train.images.to_vector<uint8_t>(), files.train_pixels);
  EXPECT_EQ(d.train.labels.to_vector<int32_t>(), (std::vector<int32_t>{2, 0, 1}));
  EXPECT_EQ((std::vector<int64_t>{d.height, d.width, d.channels, d.classes}),
            (std::vector<int64_t>{5, 4, 1, 3}));
  EXPECT_EQ(d.full_train_size, 3);
}

TEST(IdxReaderTest, RankFourImagesKeepTheirChannelsInHwcOrder) {
  const TempDir dir;
  const std::vector<uint8_t> pixels = pattern(2 * 2 * 3 * 3, 4);
  write_bytes(dir / "train-images-idx3-ubyte", idx_bytes({2, 2, 3, 3}, pixels));
  write_bytes(dir / "train-labels-idx1-ubyte", idx_bytes({2}, {0, 1}));
  write_bytes(dir / "t10k-images-idx3-ubyte", idx_bytes({2, 2, 3, 3}, pixels));
  write_bytes(dir / "t10k-labels-idx1-ubyte", idx_bytes({2}, {1, 1}));
  const readers::RawDataset d = readers::read_idx_folder(dir.path());
  EXPECT_EQ(d.train.images.channels, 3);
  EXPECT_EQ(d.train.images.pixels, pixels);
}

TEST(IdxReaderTest, ConcatenatedGzipMembersAreOneStream) {
  const std::vector<uint8_t> whole = idx_bytes({4}, {1, 2, 3, 4});
  std::vector<uint8_t> gz = test::gzip_bytes({whole.begin(), whole.begin() + 6});
  const std::vector<uint8_t> rest = test::gzip_bytes({whole.begin() + 6, whole.end()});
  gz.insert(gz.end(), rest.begin(), rest.end());
  const readers::IdxArray a = readers::decode_idx(gz, "two-members.gz");
  EXPECT_EQ(a.dims, (std::vector<int64_t>{4}));
  EXPECT_EQ(a.data, (std::vector<uint8_t>{1, 2, 3, 4}));
}

TEST(IdxReaderTest, MnistMirrorNamesWithADotAreFound) {
  const TempDir dir;
  write_bytes(dir / "train-images.idx3-ubyte", idx_bytes({2, 1, 1}, {7, 8}));
  write_bytes(dir / "train-labels.idx1-ubyte", idx_bytes({2}, {0, 1}));
  write_bytes(dir / "t10k-images.idx3-ubyte", idx_bytes({1, 1, 1}, {9}));
  write_bytes(dir / "t10k-labels.idx1-ubyte", idx_bytes({1}, {1}));
  EXPECT_EQ(readers::read_idx_folder(dir.path()).test.images.pixels, (std::vector<uint8_t>{9}));
}

TEST(IdxReaderTest, AFixedClassCountRejectsLargerTrainingLabels) {
  const TempDir dir;
  IdxFolder files;
  files.train_labels = {0, 11, 1};
  files.write(dir);
  EXPECT_TRUE(test::throws_with<UserError>(
      [&] { readers::read_idx_folder(dir.path(), 10); },
      {"train-labels-idx1-ubyte", "label 11 of item 1", "outside 0..9"}));
}

TEST(IdxReaderTest, DimensionsWhoseProductWrapsAroundAreRefused) {
  // 4 * 2^31 * 2 * 2^30 = 2^64: in 64-bit arithmetic it wraps to 0, the bytes that follow.
  const std::vector<uint8_t> forged = idx_bytes({4, 1u << 31, 2, 1u << 30}, {});
  EXPECT_TRUE(test::throws_with<UserError>([&] { readers::parse_idx(forged, "forged.idx"); },
                                           {"forged.idx", "more data than any file"}));
  // A zero dimension is an empty array, not an error of the parser.
  EXPECT_TRUE(readers::parse_idx(idx_bytes({0, 1u << 31, 1u << 31}, {}), "empty.idx").data.empty());
}

TEST(IdxReaderTest, AMissingFolderIsAUserErrorNamingIt) {
  EXPECT_TRUE(test::throws_with<UserError>([] { load_dataset("idx:/no/such/rethink/dir", 0); },
                                           {"/no/such/rethink/dir", "no such folder"}));
  EXPECT_TRUE(test::throws_with<UserError>([] { load_dataset("idx:", 0); }, {"idx:DIR"}));
}

TEST(IdxReaderTest, AGzipBombIsRefusedAtTheLimit) {
  const std::vector<uint8_t> gz = test::gzip_bytes(std::vector<uint8_t>(1 << 20, 0));
  EXPECT_TRUE(test::throws_with<UserError>([&] { readers::gunzip(gz, "bomb.gz", 1 << 16); },
                                           {"bomb.gz", "more than 65536 bytes"}));
}

TEST(IdxReaderTest, FashionMnistFromTheDebianPackage) {
  if (!std::filesystem::is_directory(kFashionMnistDir)) {
    GTEST_SKIP() << kFashionMnistDir << " is absent: apt-get install dataset-fashion-mnist";
  }
  const Dataset d = load_dataset("fashion-mnist", 0);
  EXPECT_EQ(d.kind, "fashion-mnist");
  EXPECT_EQ(d.train.images.shape(), (Shape{60000, 28, 28, 1}));
  EXPECT_EQ(d.test.images.shape(), (Shape{10000, 28, 28, 1}));
  EXPECT_EQ(d.train.images.dtype(), DType::kUInt8);
  EXPECT_EQ(d.classes, 10);
  EXPECT_EQ(d.class_names.size(), 10u);
  EXPECT_EQ(d.full_train_size, 60000);
  std::vector<int> train_count(10, 0), test_count(10, 0);
  for (const int32_t l : d.train.labels.to_vector<int32_t>()) ++train_count.at(l);
  for (const int32_t l : d.test.labels.to_vector<int32_t>()) ++test_count.at(l);
  EXPECT_EQ(train_count, std::vector<int>(10, 6000));
  EXPECT_EQ(test_count, std::vector<int>(10, 1000));
  // Real pictures, not a zero-filled buffer: the pixels span the whole byte range.
  const std::vector<uint8_t> first = d.train.images.to_vector<uint8_t>();
  EXPECT_EQ(*std::max_element(first.begin(), first.begin() + 784 * 100), 255);
  EXPECT_EQ(*std::min_element(first.begin(), first.begin() + 784 * 100), 0);
}

}  // namespace
}  // namespace rethink
