#include "runtime/safetensors.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/fixture.h"
#include "tests/support/throws.h"

namespace rethink {
namespace {

using test::throws_with;

std::vector<std::pair<std::string, Tensor>> sample_tensors() {
  return {
      {"conv.weight", Tensor::from_vector(Shape{2, 1, 1, 3}, std::vector<float>{1, 2, 3, 4, 5, 6})},
      {"steps", Tensor::from_vector(Shape{}, std::vector<double>{0.25})},
      {"labels", Tensor::from_vector(Shape{3}, std::vector<int32_t>{7, -1, 2})},
      {"pixels", Tensor::from_vector(Shape{2, 2}, std::vector<uint8_t>{0, 255, 9, 1})},
      {"empty", Tensor::empty(Shape{0, 4})}};
}

// The header as a string, and the whole file with that header and `data` bytes after it.
std::string file_with_header(const std::string& header, const std::string& data = "") {
  std::string out(8, '\0');
  const uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  return out + header + data;
}

TEST(Safetensors, RoundTripsEveryDTypeAndMetadata) {
  const auto tensors = sample_tensors();
  const std::string bytes = encode_safetensors(tensors, {{"format", "pt"}, {"step", "12"}});
  const SafetensorsFile file = decode_safetensors(bytes, "memory");
  ASSERT_EQ(file.tensors.size(), tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto& [name, want] = tensors[i];
    EXPECT_EQ(file.tensors[i].first, name);  // data order is the order written
    const Tensor& got = file.tensors[i].second;
    EXPECT_EQ(got.shape(), want.shape()) << name;
    ASSERT_EQ(got.dtype(), want.dtype()) << name;
    EXPECT_EQ(std::memcmp(got.raw_data(), want.raw_data(), want.nbytes()), 0) << name;
  }
  EXPECT_EQ(file.metadata.at("step"), "12");
  EXPECT_NE(file.find("labels"), nullptr);
  EXPECT_EQ(file.find("nope"), nullptr);
}

// The public layout, byte for byte: what PyTorch's safetensors package reads.
TEST(Safetensors, WritesThePublicLayout) {
  const std::string bytes =
      encode_safetensors({{"a", Tensor::from_vector(Shape{2}, std::vector<float>{1.5f, -2})}});
  uint64_t header_bytes = 0;
  std::memcpy(&header_bytes, bytes.data(), 8);
  EXPECT_EQ(header_bytes % 8, 0u);  // the data starts 8-byte aligned
  const std::string header = bytes.substr(8, header_bytes);
  EXPECT_EQ(header.substr(0, header.find_last_not_of(' ') + 1),
            R"({"a":{"data_offsets":[0,8],"dtype":"F32","shape":[2]}})");
  ASSERT_EQ(bytes.size(), 8 + header_bytes + 8);
  float values[2];
  std::memcpy(values, bytes.data() + 8 + header_bytes, 8);
  EXPECT_EQ(values[0], 1.5f);
  EXPECT_EQ(values[1], -2.0f);
}

TEST(Safetensors, MalformedFilesNameTheProblem) {
  const std::string good = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  const std::string data(8, '\0');
  EXPECT_NO_THROW(decode_safetensors(file_with_header(good, data), "f"));
  EXPECT_TRUE(throws_with<UserError>([] { decode_safetensors("abc", "tiny.st"); },
                                     {"tiny.st", "only 3 bytes"}));
  EXPECT_TRUE(throws_with<UserError>(
      [&] { decode_safetensors(file_with_header(good, data).substr(0, 20), "cut.st"); },
      {"cut.st", "header length"}));
  EXPECT_TRUE(throws_with<UserError>(
      [&] { decode_safetensors(file_with_header(good, data.substr(0, 4)), "short.st"); },
      {"short.st", "'w'", "outside the 4 data bytes"}));
  EXPECT_TRUE(throws_with<UserError>(
      [&] { decode_safetensors(file_with_header("{not json", data), "j.st"); },
      {"j.st", "not JSON"}));
  EXPECT_TRUE(throws_with<UserError>(
      [&] {
        decode_safetensors(
            file_with_header(R"({"w":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}})", data),
            "bf.st");
      },
      {"'w'", "BF16", "supported"}));
  EXPECT_TRUE(throws_with<UserError>(
      [&] {
        decode_safetensors(
            file_with_header(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", data),
            "s.st");
      },
      {"'w'", "8 data bytes", "[3] needs 12"}));
  EXPECT_TRUE(throws_with<UserError>(
      [&] {
        decode_safetensors(file_with_header(R"({"w":{"dtype":"F32","shape":[-2],)"
                                            R"("data_offsets":[0,8]}})",
                                            data),
                           "neg.st");
      },
      {"'w'", "shape [-2]"}));
  EXPECT_TRUE(throws_with<UserError>(
      [&] { decode_safetensors(file_with_header(R"({"w":{"dtype":"F32"}})", data), "m.st"); },
      {"'w'", "lacks"}));
}

TEST(Safetensors, MissingFileIsAUserErrorNamingIt) {
  EXPECT_TRUE(throws_with<UserError>([] { read_safetensors("/nonexistent/x.safetensors"); },
                                     {"/nonexistent/x.safetensors"}));
}

// close_normwise is what every fixture test leans on: it must fail on a wrong value.
TEST(CloseNormwise, AcceptsRoundingAndRejectsAMisplacedValue) {
  const Tensor e = Tensor::from_vector(Shape{4}, std::vector<double>{1, 2, 3, 4});
  EXPECT_TRUE(test::close_normwise(
      Tensor::from_vector(Shape{4}, std::vector<float>{1, 2, 3, 4.00001f}), e));
  EXPECT_FALSE(
      test::close_normwise(Tensor::from_vector(Shape{4}, std::vector<double>{1, 2, 4, 3}), e));
  EXPECT_FALSE(
      test::close_normwise(Tensor::from_vector(Shape{2, 2}, std::vector<double>{1, 2, 3, 4}), e));
}

}  // namespace
}  // namespace rethink
