// The CIFAR-10 binary reader: records round trip, CHW on disk becomes HWC in memory, and the
// five training batches are concatenated in order.
#include <gtest/gtest.h>

#include "datasets/dataset.h"
#include "datasets/readers/cifar10.h"
#include "kernels/error.h"
#include "tests/datasets/reader_files.h"
#include "tests/support/throws.h"

namespace rethink {
namespace {

using test::TempDir;

std::vector<uint8_t> record(uint8_t label, uint32_t seed) {
  std::vector<uint8_t> r = {label};
  const std::vector<uint8_t> chw = test::pattern(3072, seed);
  r.insert(r.end(), chw.begin(), chw.end());
  return r;
}

// Writes batch b (1..5, 6 for the test batch) with `per_batch` records.
void write_folder(const std::filesystem::path& dir, int per_batch) {
  for (int b = 1; b <= 6; ++b) {
    std::vector<uint8_t> bytes;
    for (int r = 0; r < per_batch; ++r) {
      const std::vector<uint8_t> rec = record(static_cast<uint8_t>((b + r) % 10), b * 10 + r);
      bytes.insert(bytes.end(), rec.begin(), rec.end());
    }
    test::write_bytes(
        dir / (b == 6 ? std::string("test_batch.bin") : "data_batch_" + std::to_string(b) + ".bin"),
        bytes);
  }
}

TEST(Cifar10ReaderTest, RecordsBecomeHwcImagesWithTheirLabels) {
  const TempDir dir;
  write_folder(dir.path(), 2);
  const readers::RawDataset d = readers::read_cifar10_folder(dir.path());
  ASSERT_EQ(d.train.images.count, 10);
  ASSERT_EQ(d.test.images.count, 2);
  EXPECT_EQ(d.classes, 10);
  EXPECT_EQ(d.class_names.front(), "airplane");
  for (int b = 1; b <= 6; ++b) {
    for (int r = 0; r < 2; ++r) {
      const readers::RawSplit& split = b == 6 ? d.test : d.train;
      const int64_t image = b == 6 ? r : (b - 1) * 2 + r;
      EXPECT_EQ(split.labels[static_cast<size_t>(image)], (b + r) % 10);
      const std::vector<uint8_t> chw = test::pattern(3072, b * 10 + r);
      const uint8_t* hwc = split.images.pixels.data() + image * 3072;
      for (int y : {0, 5, 31}) {
        for (int x : {0, 17, 31}) {
          for (int c = 0; c < 3; ++c) {
            ASSERT_EQ(hwc[(y * 32 + x) * 3 + c], chw[static_cast<size_t>(c * 1024 + y * 32 + x)])
                << "batch " << b << " record " << r << " y " << y << " x " << x << " c " << c;
          }
        }
      }
    }
  }
}

TEST(Cifar10ReaderTest, LoadDatasetFindsTheOfficialSubfolder) {
  const TempDir dir;
  write_folder(dir / "cifar-10-batches-bin", 1);
  const Dataset d = load_dataset("cifar10:" + dir.path().string(), 0);
  EXPECT_EQ(d.kind, "cifar10");
  EXPECT_EQ(d.train.images.shape(), (Shape{5, 32, 32, 3}));
  EXPECT_EQ(d.test.images.shape(), (Shape{1, 32, 32, 3}));
  EXPECT_EQ(d.train.images.dtype(), DType::kUInt8);
  EXPECT_EQ(d.train.labels.to_vector<int32_t>(), (std::vector<int32_t>{1, 2, 3, 4, 5}));
}

TEST(Cifar10ReaderTest, ATruncatedRecordNamesTheFileAndItsSize) {
  std::vector<uint8_t> bytes = record(1, 1);
  bytes.resize(bytes.size() + 100, 0);
  EXPECT_TRUE(
      test::throws_with<UserError>([&] { readers::parse_cifar10_batch(bytes, "data_batch_2.bin"); },
                                   {"data_batch_2.bin", "3173 bytes", "3073-byte"}));
}

}  // namespace
}  // namespace rethink
