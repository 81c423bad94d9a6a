#include "datasets/readers/image_decode.h"

#include <fmt/format.h>
#include <png.h>
// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>

#include "kernels/error.h"

namespace rethink::readers {
namespace {

constexpr uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

// libjpeg reports errors through a callback that must not return; we longjmp back to
// decode_jpeg_into. Only plain data lives in that frame between setjmp and longjmp, so no
// destructor is skipped.
struct JpegError {
  jpeg_error_mgr base;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void jpeg_fail(j_common_ptr info) {
  auto* err = reinterpret_cast<JpegError*>(info->err);
  (*info->err->format_message)(info, err->message);
  std::longjmp(err->jump, 1);
}

// Warnings mean corrupt data that libjpeg would fill in with gray: for a training set that
// is a silent corruption, so they fail the decode too.
void jpeg_message(j_common_ptr info, int level) {
  if (level < 0) jpeg_fail(info);
}

// Returns an empty string on success, else libjpeg's message. `out` is owned by the caller so
// that a longjmp out of libjpeg leaks nothing.
std::string decode_jpeg_into(std::span<const uint8_t> bytes, int64_t max_pixels,
                             DecodedImage& out) {
  jpeg_decompress_struct info;
  JpegError err;
  std::memset(&info, 0, sizeof info);
  info.err = jpeg_std_error(&err.base);
  err.base.error_exit = jpeg_fail;
  err.base.emit_message = jpeg_message;
  err.message[0] = '\0';
  if (setjmp(err.jump) != 0) {
    jpeg_destroy_decompress(&info);
    return err.message[0] != '\0' ? err.message : "undecodable JPEG data";
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&info, TRUE);
  const bool gray = info.num_components == 1;
  info.out_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
  const int64_t pixels = int64_t{info.image_width} * info.image_height;
  if (pixels > max_pixels) {
    std::snprintf(err.message, sizeof err.message, "%ux%u pixels, more than the %lld allowed",
                  info.image_width, info.image_height, static_cast<long long>(max_pixels));
    jpeg_destroy_decompress(&info);
    return err.message;
  }
  jpeg_start_decompress(&info);
  out.height = info.output_height;
  out.width = info.output_width;
  out.channels = info.output_components;
  const size_t row = static_cast<size_t>(out.width * out.channels);
  out.pixels.resize(row * static_cast<size_t>(out.height));
  while (info.output_scanline < info.output_height) {
    JSAMPROW line = out.pixels.data() + row * info.output_scanline;
    jpeg_read_scanlines(&info, &line, 1);
  }
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  return {};
}

DecodedImage decode_jpeg(std::span<const uint8_t> bytes, const std::string& name,
                         int64_t max_pixels) {
  DecodedImage image;
  const std::string error = decode_jpeg_into(bytes, max_pixels, image);
  if (!error.empty()) {
    throw UserError(
        fmt::format("{}: cannot decode this JPEG ({}): the file is truncated or "
                    "corrupt; replace or remove it",
                    name, error));
  }
  return image;
}

DecodedImage decode_png(std::span<const uint8_t> bytes, const std::string& name,
                        int64_t max_pixels) {
  png_image png;
  std::memset(&png, 0, sizeof png);
  png.version = PNG_IMAGE_VERSION;
  auto fail = [&](const char* what) {
    std::string message = what;
    png_image_free(&png);
    return UserError(
        fmt::format("{}: cannot decode this PNG ({}): the file is truncated or "
                    "corrupt; replace or remove it",
                    name, message));
  };
  if (!png_image_begin_read_from_memory(&png, bytes.data(), bytes.size())) throw fail(png.message);
  if (int64_t{png.width} * png.height > max_pixels) {
    throw fail(
        fmt::format("{}x{} pixels, more than the {} allowed", png.width, png.height, max_pixels)
            .c_str());
  }
  const bool gray = (png.format & PNG_FORMAT_FLAG_COLOR) == 0;
  png.format = gray ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  DecodedImage image;
  image.height = png.height;
  image.width = png.width;
  image.channels = gray ? 1 : 3;
  image.pixels.resize(PNG_IMAGE_SIZE(png));
  // Transparent pixels are composited onto black (an explicit background, not libpng's choice).
  png_color black{0, 0, 0};
  if (!png_image_finish_read(&png, &black, image.pixels.data(), 0, nullptr)) {
    throw fail(png.message);
  }
  png_image_free(&png);
  return image;
}

}  // namespace

DecodedImage decode_image(std::span<const uint8_t> bytes, const std::string& name,
                          int64_t max_pixels) {
  if (bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF) {
    return decode_jpeg(bytes, name, max_pixels);
  }
  if (bytes.size() >= 8 && std::memcmp(bytes.data(), kPngSignature, 8) == 0) {
    return decode_png(bytes, name, max_pixels);
  }
  if (bytes.empty()) {
    throw UserError(fmt::format("{}: the image file is empty; replace or remove it", name));
  }
  throw UserError(
      fmt::format("{}: neither a JPEG nor a PNG (its first bytes are no image "
                  "signature): replace or remove it",
                  name));
}

}  // namespace rethink::readers
