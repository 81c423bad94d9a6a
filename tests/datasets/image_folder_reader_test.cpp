// JPEG/PNG decoding, the image-folder reader and its decoded-image cache.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "datasets/dataset.h"
#include "datasets/readers/image_decode.h"
#include "datasets/readers/image_folder.h"
#include "kernels/error.h"
#include "tests/datasets/reader_files.h"
#include "tests/support/fixture.h"
#include "tests/support/shared_data.h"
#include "tests/support/throws.h"

namespace rethink {
namespace {

namespace fs = std::filesystem;
using readers::ImageFolderOptions;
using readers::read_image_folder;
using test::pattern;
using test::TempDir;

TEST(ImageDecodeTest, PngRgbAndGrayDecodeExactly) {
  const std::vector<uint8_t> rgb = pattern(5 * 7 * 3, 1);
  const readers::DecodedImage a = readers::decode_image(test::png_bytes(7, 5, 3, rgb), "a.png");
  EXPECT_EQ((std::vector<int64_t>{a.height, a.width, a.channels}), (std::vector<int64_t>{5, 7, 3}));
  EXPECT_EQ(a.pixels, rgb);
  const std::vector<uint8_t> gray = pattern(4 * 3, 2);
  const readers::DecodedImage b = readers::decode_image(test::png_bytes(3, 4, 1, gray), "b.png");
  EXPECT_EQ(b.channels, 1);
  EXPECT_EQ(b.pixels, gray);
}

TEST(ImageDecodeTest, JpegDecodesCloseToItsSource) {
  // A smooth image: JPEG at quality 100 keeps it within a few levels.
  std::vector<uint8_t> rgb(16 * 16 * 3);
  for (size_t i = 0; i < rgb.size(); ++i) {
    const size_t p = i / 3, c = i % 3;
    rgb[i] = static_cast<uint8_t>(40 + (p % 16) * 6 + (p / 16) * 4 + c * 30);
  }
  const readers::DecodedImage im =
      readers::decode_image(test::jpeg_bytes(16, 16, 3, rgb, 100), "smooth.jpg");
  ASSERT_EQ((std::vector<int64_t>{im.height, im.width, im.channels}),
            (std::vector<int64_t>{16, 16, 3}));
  int worst = 0;
  for (size_t i = 0; i < rgb.size(); ++i) worst = std::max(worst, std::abs(im.pixels[i] - rgb[i]));
  EXPECT_LE(worst, 6);
  const readers::DecodedImage gray = readers::decode_image(
      test::jpeg_bytes(8, 8, 1, std::vector<uint8_t>(64, 200), 100), "gray.jpg");
  EXPECT_EQ(gray.channels, 1);
  EXPECT_NEAR(gray.pixels[27], 200, 2);
}

TEST(ImageDecodeTest, OversizedImagesAreRefusedBeforeDecoding) {
  const std::vector<uint8_t> png = test::png_bytes(64, 64, 1, std::vector<uint8_t>(64 * 64, 9));
  EXPECT_TRUE(test::throws_with<UserError>([&] { readers::decode_image(png, "big.png", 1000); },
                                           {"big.png", "64x64 pixels"}));
}

// train/{b_dog,a_cat}/, test/{a_cat,b_dog}/: PNGs of known pixels, one grayscale among RGB.
struct SmallFolder {
  explicit SmallFolder(const TempDir& dir) : root(dir / "images") {
    add("train/b_dog/2.png", 3, 10);
    add("train/b_dog/1.png", 3, 11);
    add("train/a_cat/x.PNG", 1, 12);  // grayscale, upper-case extension
    add("test/a_cat/0.png", 3, 13);
    add("test/b_dog/0.png", 3, 14);
    test::write_bytes(root / "train/a_cat/notes.txt", {'h', 'i'});  // not an image: ignored
  }
  void add(const std::string& rel, int channels, uint32_t seed) {
    const std::vector<uint8_t> px = pattern(static_cast<size_t>(6 * 5 * channels), seed);
    test::write_bytes(root / rel, test::png_bytes(5, 6, channels, px));
    pixels[rel] = px;
  }
  // The pixels of `rel` as the reader holds them: RGB, a gray image's value in all three.
  std::vector<uint8_t> rgb(const std::string& rel) const {
    const std::vector<uint8_t>& px = pixels.at(rel);
    if (px.size() == 6 * 5 * 3) return px;
    std::vector<uint8_t> out;
    for (const uint8_t v : px) out.insert(out.end(), {v, v, v});
    return out;
  }
  fs::path root;
  std::map<std::string, std::vector<uint8_t>> pixels;
};

std::vector<uint8_t> image(const readers::RawSplit& s, int64_t i) {
  const auto n = static_cast<size_t>(s.images.image_bytes());
  return {s.images.pixels.begin() + static_cast<std::ptrdiff_t>(i * n),
          s.images.pixels.begin() + static_cast<std::ptrdiff_t>((i + 1) * n)};
}

TEST(ImageFolderTest, ClassesAndFilesInSortedOrderWithTheirPixels) {
  const TempDir dir;
  const SmallFolder f(dir);
  const auto r = read_image_folder(f.root, {dir / "cache", true});
  const readers::RawDataset& d = r.data;
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"a_cat", "b_dog"}));
  EXPECT_EQ(d.classes, 2);
  ASSERT_EQ(d.train.images.count, 3);
  EXPECT_EQ(
      (std::vector<int64_t>{d.train.images.height, d.train.images.width, d.train.images.channels}),
      (std::vector<int64_t>{6, 5, 3}));
  EXPECT_EQ(d.train.labels, (std::vector<int32_t>{0, 1, 1}));
  EXPECT_EQ(image(d.train, 0), f.rgb("train/a_cat/x.PNG"));
  EXPECT_EQ(image(d.train, 1), f.rgb("train/b_dog/1.png"));
  EXPECT_EQ(image(d.train, 2), f.rgb("train/b_dog/2.png"));
  EXPECT_EQ(d.test.labels, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(image(d.test, 1), f.rgb("test/b_dog/0.png"));
}

TEST(ImageFolderTest, TheSecondLoadComesFromTheCacheAndEqualsTheFirst) {
  const TempDir dir;
  const SmallFolder f(dir);
  const ImageFolderOptions options{dir / "cache", true};
  const auto first = read_image_folder(f.root, options);
  EXPECT_FALSE(first.from_cache);
  ASSERT_FALSE(first.cache_file.empty()) << first.cache_note;
  EXPECT_TRUE(fs::is_regular_file(first.cache_file));
  EXPECT_EQ(first.cache_file.parent_path(), dir / "cache");
  const auto second = read_image_folder(f.root, options);
  EXPECT_TRUE(second.from_cache) << second.cache_note;
  EXPECT_EQ(second.data.train.images.pixels, first.data.train.images.pixels);
  EXPECT_EQ(second.data.test.images.pixels, first.data.test.images.pixels);
  EXPECT_EQ(second.data.train.labels, first.data.train.labels);
  EXPECT_EQ(second.data.class_names, first.data.class_names);
}

TEST(ImageFolderTest, TouchingOrReplacingAFileInvalidatesTheCache) {
  const TempDir dir;
  SmallFolder f(dir);
  const ImageFolderOptions options{dir / "cache", true};
  read_image_folder(f.root, options);
  const fs::path touched = f.root / "test/a_cat/0.png";
  fs::last_write_time(touched, fs::last_write_time(touched) + std::chrono::seconds(2));
  const auto after_touch = read_image_folder(f.root, options);
  EXPECT_FALSE(after_touch.from_cache);
  EXPECT_TRUE(read_image_folder(f.root, options).from_cache);

  // New pixels under the same name and size: the modification time changes, so does the data.
  f.add("train/b_dog/1.png", 3, 99);
  fs::last_write_time(f.root / "train/b_dog/1.png",
                      fs::last_write_time(touched) + std::chrono::seconds(5));
  const auto replaced = read_image_folder(f.root, options);
  EXPECT_FALSE(replaced.from_cache);
  EXPECT_EQ(image(replaced.data.train, 1), f.rgb("train/b_dog/1.png"));

  f.add("train/b_dog/3.png", 3, 7);  // a new file
  const auto added = read_image_folder(f.root, options);
  EXPECT_FALSE(added.from_cache);
  EXPECT_EQ(added.data.train.images.count, 4);
}

TEST(ImageFolderTest, ACorruptOrTruncatedCacheIsRebuiltNotTrusted) {
  const TempDir dir;
  const SmallFolder f(dir);
  const ImageFolderOptions options{dir / "cache", true};
  const auto first = read_image_folder(f.root, options);
  std::vector<uint8_t> bytes = test::read_bytes(first.cache_file);
  bytes[bytes.size() / 2] ^= 0x40;  // one flipped bit among the pixels
  test::write_bytes(first.cache_file, bytes);
  const auto rebuilt = read_image_folder(f.root, options);
  EXPECT_FALSE(rebuilt.from_cache);
  EXPECT_NE(rebuilt.cache_note.find("corrupt"), std::string::npos) << rebuilt.cache_note;
  EXPECT_EQ(rebuilt.data.train.images.pixels, first.data.train.images.pixels);
  EXPECT_TRUE(read_image_folder(f.root, options).from_cache);

  bytes = test::read_bytes(first.cache_file);
  bytes.resize(bytes.size() - 10);
  test::write_bytes(first.cache_file, bytes);
  EXPECT_FALSE(read_image_folder(f.root, options).from_cache);
  EXPECT_TRUE(read_image_folder(f.root, options).from_cache);
}

TEST(ImageFolderTest, NoCacheIsWrittenInsideTheDataFolder) {
  const TempDir dir;
  const SmallFolder f(dir);
  const auto r = read_image_folder(f.root, {f.root / ".cache", true});
  EXPECT_TRUE(r.cache_file.empty());
  EXPECT_FALSE(fs::exists(f.root / ".cache"));
  EXPECT_EQ(r.data.train.images.count, 3);
}

TEST(ImageFolderTest, LoadDatasetCachesUnderRethinkCacheDir) {
  const TempDir dir;
  const SmallFolder f(dir);
  ASSERT_EQ(::setenv("RETHINK_CACHE_DIR", (dir / "env-cache").c_str(), 1), 0);
  const Dataset a = load_dataset("imagefolder:" + f.root.string(), 0);
  const Dataset b = load_dataset("imagefolder:" + f.root.string(), 0);
  ::unsetenv("RETHINK_CACHE_DIR");
  EXPECT_FALSE(a.from_cache);
  EXPECT_TRUE(b.from_cache);
  EXPECT_EQ(fs::path(b.cache_file).parent_path(), dir / "env-cache");
  EXPECT_EQ(b.train.images.shape(), (Shape{3, 6, 5, 3}));
  EXPECT_EQ(b.train.images.dtype(), DType::kUInt8);
  EXPECT_EQ(b.train.images.to_vector<uint8_t>(), a.train.images.to_vector<uint8_t>());
}

TEST(ImageFolderTest, ImagesOfDifferentSizesNameOneFileAndBothSizes) {
  const TempDir dir;
  SmallFolder f(dir);
  test::write_bytes(f.root / "test/b_dog/odd.png", test::png_bytes(4, 6, 3, pattern(4 * 6 * 3, 3)));
  EXPECT_TRUE(test::throws_with<UserError>(
      [&] {
        read_image_folder(f.root, {dir / "cache", true});
      },
      {"odd.png", "6x4 pixels", "x.PNG is 6x5"}));
}

// CIFAR-10 as JPEGs (../shared/datasets/cifar10-jpeg.tar.gz): a few images of two classes,
// unpacked into a temporary folder.
TEST(ImageFolderTest, SharedCifar10JpegArchive) {
  const std::optional<fs::path> archive = test::shared_cifar10_jpeg();
  if (!archive) GTEST_SKIP() << test::kNoSharedCifar10;
  const TempDir dir;
  test::unpack(*archive, dir.path(),
               {"train/airplane/000[0-4].jpg", "train/cat/000[0-4].jpg",
                "test/airplane/000[0-1].jpg", "test/cat/000[0-1].jpg"});
  const auto r = read_image_folder(dir.path(), {{}, /*use_cache=*/false});
  const readers::RawDataset& d = r.data;
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"airplane", "cat"}));
  EXPECT_EQ(d.train.images.count, 10);
  EXPECT_EQ(d.test.images.count, 4);
  EXPECT_EQ(
      (std::vector<int64_t>{d.train.images.height, d.train.images.width, d.train.images.channels}),
      (std::vector<int64_t>{32, 32, 3}));
  EXPECT_EQ(d.train.labels, (std::vector<int32_t>{0, 0, 0, 0, 0, 1, 1, 1, 1, 1}));
  // Photographs: many distinct values, not a constant fill.
  const auto [lo, hi] =
      std::minmax_element(d.train.images.pixels.begin(), d.train.images.pixels.end());
  EXPECT_LT(*lo, 40);
  EXPECT_GT(*hi, 215);
}

}  // namespace
}  // namespace rethink
