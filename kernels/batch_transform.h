// The loader's batch kernel: gathers a batch from the stored data set by the epoch order and
// writes it as float32 NHWC, preprocessed and augmented as the paper's CIFAR-10 pipeline does:
//   scale (uint8 / 255) -> crop (center, or random with zero padding) -> left-right flip
//   -> rotation (bilinear, zero fill) -> brightness -> contrast -> per-image whitening.
//
// Whitening and contrast need per-image statistics, so the work runs in five index-mapped
// phases over the same BatchTransform: draw (per image), pixels (per output pixel, unscaled
// values into the output), row statistics (per image row), coefficients (per image), apply (per
// output element, in place). Brightness and contrast are affine per channel, so they fold with
// whitening into one scale and a per-channel shift computed from the statistics of the
// geometric image: the apply phase is a single multiply-add per element.
//
// The CPU runs all five phases image by image (cache-resident, no index division); the GPU
// launches them one after another. Both compute the same statistics (exact integer sums of the
// bytes, or double sums in a fixed order) with the same member functions, so the two agree
// bitwise on every integer (draws, offsets, flips, labels) and within float rounding on pixels;
// on the CPU, image() and the phases run one index at a time agree bit for bit.
#pragma once

#include <math.h>

#include <cstdint>
#include <vector>

#include "kernels/hd.h"
#include "kernels/philox.h"

namespace rethink::kernels {

// Channels the per-image coefficients have room for.
inline constexpr int kMaxTransformChannels = 16;

struct TransformShape {
  int32_t in_h = 0, in_w = 0;    // a stored image
  int32_t channels = 0;          // C of both
  int32_t out_h = 0, out_w = 0;  // a batch image
  RT_HD int64_t out_pixels() const { return static_cast<int64_t>(out_h) * out_w; }
  RT_HD int64_t out_size() const { return out_pixels() * channels; }
  RT_HD int64_t in_size() const { return static_cast<int64_t>(in_h) * in_w * channels; }
};

// Which augmentations run and their ranges (TF CIFAR-10 tutorial; rotation from the paper's
// Table 4). Every draw has its own Philox word, so switching one part on or off leaves the
// others' draws unchanged.
struct AugmentSpec {
  bool crop = false;        // random out_h x out_w window instead of the center one
  bool flip = false;        // left-right, probability 1/2
  bool brightness = false;  // + uniform [-max_brightness, max_brightness]
  bool contrast = false;    // (x - channel mean) * uniform [contrast_low, contrast_high] + mean
  bool rotate = false;      // uniform [-max_degrees, max_degrees] about the window's center
  float max_brightness = 63.0f / 255.0f;
  float contrast_low = 0.2f;
  float contrast_high = 1.8f;
  float max_degrees = 25.0f;
  // Zero padding on each side for the random crop of an image no larger than the window (a
  // 28x28 image gets the same 5x5 choice of offsets as a 32x32 one).
  int32_t pad = 2;
  RT_HD bool any() const { return crop || flip || brightness || contrast || rotate; }
};

// What one image of one batch realized, plus its folded affine coefficients.
struct ImageDraw {
  int32_t source = 0;      // row of the data set
  int32_t oy = 0, ox = 0;  // window origin in the stored image (negative inside the padding)
  int32_t flip = 0;        // 1: mirrored left-right
  float degrees = 0;       // rotation, counterclockwise
  float cos_a = 1, sin_a = 0;
  float brightness = 0;  // added in [0, 1] units
  float contrast = 1;    // factor
  float scale = 1;       // out = value * scale + shift[c]
  float shift[kMaxTransformChannels] = {};
};

// Offsets a window of `out` in `in` can take: [lo, lo + count).
struct OffsetRange {
  int32_t lo = 0;
  int32_t count = 1;
};

RT_HD OffsetRange crop_range(int32_t in, int32_t out, const AugmentSpec& a) {
  if (!a.crop) return {(in - out) / 2, 1};  // the center window
  const int32_t pad = in <= out ? a.pad : 0;
  return {-pad, in - out + 2 * pad + 1};
}

// Uniform float in [0, 1) with 24 bits, from one Philox word.
RT_HD float unit_from_bits(uint32_t bits) {
  return static_cast<float>(bits >> 8) * (1.0f / 16777216.0f);
}

// The draw of data set row `source` in the epoch `stream` is keyed by (seed, augment, epoch):
// words 8 * source .. 8 * source + 7, so it depends on the image, not its place in the batch.
RT_HD ImageDraw draw_image(const AugmentSpec& a, const TransformShape& s,
                           const PhiloxStream& stream, int32_t source) {
  const PhiloxBlock b0 = stream.block(2 * static_cast<uint64_t>(source));
  const PhiloxBlock b1 = stream.block(2 * static_cast<uint64_t>(source) + 1);
  ImageDraw d;
  d.source = source;
  const OffsetRange ry = crop_range(s.in_h, s.out_h, a);
  const OffsetRange rx = crop_range(s.in_w, s.out_w, a);
  d.oy = ry.lo + static_cast<int32_t>((static_cast<uint64_t>(b0.v[0]) * ry.count) >> 32);
  d.ox = rx.lo + static_cast<int32_t>((static_cast<uint64_t>(b0.v[1]) * rx.count) >> 32);
  d.flip = a.flip ? static_cast<int32_t>(b0.v[2] >> 31) : 0;
  if (a.rotate) {
    d.degrees = (2.0f * unit_from_bits(b0.v[3]) - 1.0f) * a.max_degrees;
    const float radians = d.degrees * (3.14159265358979f / 180.0f);
    d.cos_a = cosf(radians);
    d.sin_a = sinf(radians);
  }
  if (a.brightness) d.brightness = (2.0f * unit_from_bits(b1.v[0]) - 1.0f) * a.max_brightness;
  if (a.contrast) {
    d.contrast = a.contrast_low + (a.contrast_high - a.contrast_low) * unit_from_bits(b1.v[1]);
  }
  return d;
}

// A stored value on the [0, 1] scale. Bytes are multiplied by the float nearest 1/255 (within
// an ulp of v / 255, and the same on both devices): a multiply vectorizes cheaply, where the
// division took a third of the CPU's time for a batch.
inline constexpr float kByteScale = 1.0f / 255.0f;

template <class T>
RT_HD float scaled(T v) {
  if constexpr (sizeof(T) == 1) {
    return static_cast<float>(v) * kByteScale;
  } else {
    return static_cast<float>(v);
  }
}

template <class T>
struct BatchTransform {
  const T* images;        // [N, in_h, in_w, C]: uint8 (scaled by 1/255) or float32 (as is)
  const int32_t* labels;  // [N]
  const int32_t* index;   // [rows]: data set rows in batch order
  int64_t rows;
  TransformShape shape;
  AugmentSpec augment;
  bool whiten;
  PhiloxStream stream;  // (seed, augment, epoch)
  float* out;           // [rows, out_h, out_w, C]
  int32_t* out_labels;  // [rows]
  ImageDraw* draws;     // workspace [rows]
  double* stats;  // workspace [rows, out_h, C, 2]: per row and channel, sum and sum of squares

  // Phase 1: the image's draw and its label.
  RT_HD void draw(int64_t b) const {
    draws[b] = draw_image(augment, shape, stream, index[b]);
    out_labels[b] = labels[index[b]];
  }

  // The stored pixel at (wy, wx) of the flipped window; null outside the window and outside
  // the stored image (zero padding).
  RT_HD const T* tap(const ImageDraw& d, const T* image, int32_t wy, int32_t wx) const {
    if (wy < 0 || wy >= shape.out_h || wx < 0 || wx >= shape.out_w) return nullptr;
    const int32_t sy = d.oy + wy;
    const int32_t sx = d.ox + (d.flip ? shape.out_w - 1 - wx : wx);
    if (sy < 0 || sy >= shape.in_h || sx < 0 || sx >= shape.in_w) return nullptr;
    return image + (static_cast<int64_t>(sy) * shape.in_w + sx) * shape.channels;
  }

  // Phase 2: the unwhitened value of every channel of output pixel (y, x).
  RT_HD void pixel(const ImageDraw& d, int64_t b, int32_t y, int32_t x) const {
    const T* image = images + static_cast<int64_t>(d.source) * shape.in_size();
    float* o =
        out + b * shape.out_size() + (static_cast<int64_t>(y) * shape.out_w + x) * shape.channels;
    if (!augment.rotate) {
      const T* p = tap(d, image, y, x);
      for (int32_t c = 0; c < shape.channels; ++c) o[c] = p != nullptr ? scaled(p[c]) : 0.0f;
      return;
    }
    // Inverse rotation about the window's center, then bilinear between the four neighbours.
    const float cy = 0.5f * static_cast<float>(shape.out_h - 1);
    const float cx = 0.5f * static_cast<float>(shape.out_w - 1);
    const float dy = static_cast<float>(y) - cy, dx = static_cast<float>(x) - cx;
    const float u = d.cos_a * dx + d.sin_a * dy + cx;
    const float v = d.cos_a * dy - d.sin_a * dx + cy;
    const float fy = floorf(v), fx = floorf(u);
    const float ty = v - fy, tx = u - fx;
    const int32_t y0 = static_cast<int32_t>(fy), x0 = static_cast<int32_t>(fx);
    const T* p00 = tap(d, image, y0, x0);
    const T* p01 = tap(d, image, y0, x0 + 1);
    const T* p10 = tap(d, image, y0 + 1, x0);
    const T* p11 = tap(d, image, y0 + 1, x0 + 1);
    const auto at = [](const T* p, int32_t c) { return p != nullptr ? scaled(p[c]) : 0.0f; };
    for (int32_t c = 0; c < shape.channels; ++c) {
      const float top = (1.0f - tx) * at(p00, c) + tx * at(p01, c);
      const float bottom = (1.0f - tx) * at(p10, c) + tx * at(p11, c);
      o[c] = (1.0f - ty) * top + ty * bottom;
    }
  }

  // Phase 3: sums over output row y, per channel. Byte images without rotation take them
  // from the stored bytes the row shows, as exact integers: no rounding, so every device and
  // every order of summation gets the same doubles (and the CPU sums in whatever order is
  // fastest). Otherwise they are summed in double from the window's floats, with four partial
  // sums (x mod 4, in a fixed order, so every device sums alike) to break the chain of
  // dependent additions.
  RT_HD void row_stats(int64_t b, int32_t y) const {
    if (byte_stats()) {
      byte_row_stats(b, y);
    } else {
      float_row_stats(b, y);
    }
  }

  // Whether the statistics are sums of the stored bytes (row_stats), not of the window's floats.
  RT_HD bool byte_stats() const { return sizeof(T) == 1 && !augment.rotate; }

  // Byte sums are stored as they are, exact integers in doubles, so that any split of them
  // into rows sums to the same totals; coefficients() scales the totals by kByteScale.
  RT_HD static void store_byte_stats(double* s, int32_t c, int64_t sum, int64_t squares) {
    s[2 * c] = static_cast<double>(sum);
    s[2 * c + 1] = static_cast<double>(squares);
  }

  RT_HD void byte_row_stats(int64_t b, int32_t y) const {
    const ImageDraw& d = draws[b];
    const T* image = images + static_cast<int64_t>(d.source) * shape.in_size();
    double* s = stats + ((b * shape.out_h + y) * shape.channels) * 2;
    for (int32_t c = 0; c < shape.channels; ++c) {
      int64_t sum = 0, squares = 0;
      for (int32_t x = 0; x < shape.out_w; ++x) {
        const T* p = tap(d, image, y, x);
        if (p == nullptr) continue;  // zero padding adds nothing
        const int64_t v = p[c];
        sum += v;
        squares += v * v;
      }
      store_byte_stats(s, c, sum, squares);
    }
  }

  RT_HD void float_row_stats(int64_t b, int32_t y) const {
    const int32_t channels = shape.channels;
    const float* row =
        out + b * shape.out_size() + static_cast<int64_t>(y) * shape.out_w * channels;
    double* s = stats + ((b * shape.out_h + y) * channels) * 2;
    for (int32_t c = 0; c < channels; ++c) {
      double s0 = 0, s1 = 0, s2 = 0, s3 = 0, q0 = 0, q1 = 0, q2 = 0, q3 = 0;
      int32_t x = 0;
      for (; x + 3 < shape.out_w; x += 4) {
        const double v0 = row[x * channels + c], v1 = row[(x + 1) * channels + c];
        const double v2 = row[(x + 2) * channels + c], v3 = row[(x + 3) * channels + c];
        s0 += v0;
        s1 += v1;
        s2 += v2;
        s3 += v3;
        q0 += v0 * v0;
        q1 += v1 * v1;
        q2 += v2 * v2;
        q3 += v3 * v3;
      }
      for (; x < shape.out_w; ++x) {
        const double v = row[x * channels + c];
        s0 += v;
        q0 += v * v;
      }
      s[2 * c] = (s0 + s1) + (s2 + s3);
      s[2 * c + 1] = (q0 + q1) + (q2 + q3);
    }
  }

  // Phase 4: brightness, contrast and whitening folded into draws[b].scale and .shift.
  //   contrast (TF adjust_contrast): z = (x + d - (m_c + d)) f + m_c + d = f x + (1 - f) m_c + d
  //   whitening (TF per_image_standardization): (z - mean z) / max(std z, 1 / sqrt(N)), where
  //   mean z = M + d and var z = mean over c of f^2 var_c + (m_c - M)^2 (channels are equal in
  //   size, so the cross terms vanish). The brightness d cancels under whitening, as in TF.
  RT_HD void coefficients(int64_t b) const {
    ImageDraw& d = draws[b];
    const int32_t channels = shape.channels;
    const double n = static_cast<double>(shape.out_pixels());
    const double f = d.contrast, shift = d.brightness;
    double mean[kMaxTransformChannels], var[kMaxTransformChannels];
    double grand = 0;
    for (int32_t c = 0; c < channels; ++c) {
      double sum = 0, squares = 0;
      for (int32_t y = 0; y < shape.out_h; ++y) {
        const double* s = stats + ((b * shape.out_h + y) * channels + c) * 2;
        sum += s[0];
        squares += s[1];
      }
      if (byte_stats()) {  // exact integer totals of the bytes v; the values are v * kByteScale
        constexpr double k = kByteScale;
        sum *= k;
        squares *= k * k;
      }
      mean[c] = sum / n;
      const double v = squares / n - mean[c] * mean[c];
      var[c] = v > 0 ? v : 0;
      grand += mean[c];
    }
    grand /= channels;
    if (!whiten) {
      d.scale = static_cast<float>(f);
      for (int32_t c = 0; c < channels; ++c) {
        d.shift[c] = static_cast<float>((1 - f) * mean[c] + shift);
      }
      return;
    }
    double total_var = 0;
    for (int32_t c = 0; c < channels; ++c) {
      total_var += f * f * var[c] + (mean[c] - grand) * (mean[c] - grand);
    }
    total_var /= channels;
    const double floor_std = 1.0 / sqrt(n * channels);
    const double std_dev = sqrt(total_var) > floor_std ? sqrt(total_var) : floor_std;
    d.scale = static_cast<float>(f / std_dev);
    for (int32_t c = 0; c < channels; ++c) {
      d.shift[c] = static_cast<float>(((1 - f) * mean[c] - grand) / std_dev);
    }
  }

  // Phase 5: element j of image b's output, in place.
  RT_HD void apply(int64_t b, int64_t j) const {
    const ImageDraw& d = draws[b];
    float& o = out[b * shape.out_size() + j];
    o = o * d.scale + d.shift[j % shape.channels];
  }

  // Every phase for image b, in the phases' order: the CPU's unit of work, written for speed
  // but computing exactly what the phases compute (see window() for the pixels without
  // rotation); the apply phase runs over contiguous elements against a repeated per-channel
  // shift, which vectorizes.
  void image(int64_t b) const {
    draw(b);
    const ImageDraw d = draws[b];
    const int32_t channels = shape.channels;
    float* image_out = out + b * shape.out_size();
    if (augment.rotate) {
      rotated_window(d, b);
    } else {
      window(d, b);
    }
    if (!byte_stats()) {
      for (int32_t y = 0; y < shape.out_h; ++y) {
        switch (channels) {  // the usual channel counts get loads in memory order
          case 1:
            host_row_stats<1>(b, y);
            break;
          case 3:
            host_row_stats<3>(b, y);
            break;
          default:
            float_row_stats(b, y);
        }
      }
    }
    coefficients(b);
    const ImageDraw& done = draws[b];
    // The shift of every element of kRun pixels, then the image run by run.
    constexpr int32_t kRun = 32;
    float shift[kRun * kMaxTransformChannels];
    for (int32_t k = 0; k < kRun * channels; ++k) shift[k] = done.shift[k % channels];
    const int64_t n = shape.out_size(), run = int64_t{kRun} * channels;
    const float scale = done.scale;
    for (int64_t begin = 0; begin < n; begin += run) {
      float* o = image_out + begin;
      const int64_t count = n - begin < run ? n - begin : run;
      for (int64_t k = 0; k < count; ++k) o[k] = o[k] * scale + shift[k];
    }
  }

  // The pixel phase of image b without rotation, on the CPU: each row of the window is a run
  // of stored pixels (reversed in order when flipped) between zero padding. Float images are
  // copied straight into the output. Byte images are first copied into a byte window, whose
  // integer statistics (row_stats' totals, all in row 0) and float values both come from one
  // contiguous, vectorized pass.
  void window(const ImageDraw& d, int64_t b) const {
    const int32_t channels = shape.channels;
    float* image_out = out + b * shape.out_size();
    const int64_t row_size = int64_t{shape.out_w} * channels;
    const auto copy_rows = [&](auto* to, auto convert) { copy_window(d, to, row_size, convert); };
    if constexpr (sizeof(T) != 1) {
      copy_rows(image_out, [](T v) { return scaled(v); });
    } else {
      thread_local std::vector<uint8_t> bytes;
      bytes.resize(static_cast<size_t>(shape.out_size()));
      copy_rows(bytes.data(), [](T v) { return v; });
      double* s = stats + b * shape.out_h * channels * 2;
      for (int64_t k = 0; k < int64_t{shape.out_h} * channels * 2; ++k) s[k] = 0;
      switch (channels) {
        case 1:
          byte_sums<1>(s, bytes.data(), shape.out_pixels());
          break;
        case 3:
          byte_sums<3>(s, bytes.data(), shape.out_pixels());
          break;
        default:
          byte_sums_any(s, bytes.data(), shape.out_pixels());
      }
      const int64_t n = shape.out_size();
      for (int64_t k = 0; k < n; ++k) image_out[k] = scaled(bytes[static_cast<size_t>(k)]);
    }
  }

  // Copies the unrotated window of draw d (flipped, zero-padded) to `to`, its rows `stride`
  // elements apart, each stored value through `convert`.
  template <class U, class Convert>
  void copy_window(const ImageDraw& d, U* to, int64_t stride, Convert convert) const {
    const int32_t channels = shape.channels, out_w = shape.out_w;
    const int64_t row_size = int64_t{out_w} * channels;
    // Window columns [x_lo, x_hi) read stored columns inside the image.
    int32_t x_lo = 0, x_hi = out_w;
    for (; x_lo < out_w && !inside_column(d, x_lo); ++x_lo) {
    }
    for (; x_hi > x_lo && !inside_column(d, x_hi - 1); --x_hi) {
    }
    const T* image = images + static_cast<int64_t>(d.source) * shape.in_size();
    for (int32_t y = 0; y < shape.out_h; ++y) {
      U* o = to + y * stride;
      const int32_t sy = d.oy + y;
      if (sy < 0 || sy >= shape.in_h || x_lo >= x_hi) {
        for (int64_t k = 0; k < row_size; ++k) o[k] = 0;
        continue;
      }
      for (int64_t k = 0; k < int64_t{x_lo} * channels; ++k) o[k] = 0;
      for (int64_t k = int64_t{x_hi} * channels; k < row_size; ++k) o[k] = 0;
      const T* row = image + static_cast<int64_t>(sy) * shape.in_w * channels;
      if (!d.flip) {
        const T* src = row + static_cast<int64_t>(d.ox + x_lo) * channels;
        U* dst = o + int64_t{x_lo} * channels;
        for (int64_t k = 0; k < int64_t{x_hi - x_lo} * channels; ++k) dst[k] = convert(src[k]);
        continue;
      }
      // Window column x shows stored column ox + out_w - 1 - x; the usual channel counts get
      // an unrolled copy of each pixel.
      const T* last = row + static_cast<int64_t>(d.ox + out_w - 1 - x_lo) * channels;
      U* first = o + int64_t{x_lo} * channels;
      const int32_t pixels = x_hi - x_lo;
      const auto reverse = [&]<int C>(int32_t c_count) {
        for (int32_t x = 0; x < pixels; ++x) {
          const T* src = last - static_cast<int64_t>(x) * c_count;
          U* dst = first + static_cast<int64_t>(x) * c_count;
          for (int32_t c = 0; c < (C > 0 ? C : c_count); ++c) dst[c] = convert(src[c]);
        }
      };
      if (channels == 3) {
        reverse.template operator()<3>(3);
      } else if (channels == 1) {
        reverse.template operator()<1>(1);
      } else {
        reverse.template operator()<0>(channels);
      }
    }
  }

  // The pixel phase of image b with rotation, on the CPU: pixel()'s arithmetic, sampling a
  // copy of the window with a border of zeros instead of testing every tap's bounds.
  void rotated_window(const ImageDraw& d, int64_t b) const {
    const int32_t channels = shape.channels, out_h = shape.out_h, out_w = shape.out_w;
    const int64_t stride = (int64_t{out_w} + 2) * channels;
    thread_local std::vector<float> bordered;
    bordered.assign(static_cast<size_t>(stride * (out_h + 2)), 0.0f);
    float* inner = bordered.data() + stride + channels;  // window pixel (0, 0)
    copy_window(d, inner, stride, [](T v) { return scaled(v); });
    float* image_out = out + b * shape.out_size();
    const float cy = 0.5f * static_cast<float>(out_h - 1);
    const float cx = 0.5f * static_cast<float>(out_w - 1);
    for (int32_t y = 0; y < out_h; ++y) {
      for (int32_t x = 0; x < out_w; ++x) {
        float* o = image_out + (static_cast<int64_t>(y) * out_w + x) * channels;
        const float dy = static_cast<float>(y) - cy, dx = static_cast<float>(x) - cx;
        const float u = d.cos_a * dx + d.sin_a * dy + cx;
        const float v = d.cos_a * dy - d.sin_a * dx + cy;
        const float fy = floorf(v), fx = floorf(u);
        const float ty = v - fy, tx = u - fx;
        const int32_t y0 = static_cast<int32_t>(fy), x0 = static_cast<int32_t>(fx);
        if (y0 < -1 || y0 >= out_h || x0 < -1 || x0 >= out_w) {
          // All four taps lie outside the window: pixel() sums zeros, to +0.
          for (int32_t c = 0; c < channels; ++c) o[c] = 0.0f;
          continue;
        }
        const float* p00 = inner + y0 * stride + int64_t{x0} * channels;
        const float* p10 = p00 + stride;
        for (int32_t c = 0; c < channels; ++c) {
          const float top = (1.0f - tx) * p00[c] + tx * p00[channels + c];
          const float bottom = (1.0f - tx) * p10[c] + tx * p10[channels + c];
          o[c] = (1.0f - ty) * top + ty * bottom;
        }
      }
    }
  }

  // store_byte_stats of `pixels` contiguous pixels of C channels. Lane j of a group of 16
  // pixels holds channel j mod C: fixed-width lanes of 32-bit partial sums (chunks of 2^12
  // groups cannot overflow them) vectorize where a loop over channels does not. Integers: the
  // order of summation does not change the totals.
  template <int C>
  static void byte_sums(double* s, const uint8_t* bytes, int64_t pixels) {
    constexpr int kLanes = 16 * C;
    int64_t sum[C] = {}, squares[C] = {};
    const int64_t groups = pixels / 16;
    for (int64_t begin = 0; begin < groups; begin += 1 << 12) {
      const int64_t end = groups - begin < (1 << 12) ? groups : begin + (1 << 12);
      uint32_t lane[kLanes] = {}, lane_squares[kLanes] = {};
      for (int64_t g = begin; g < end; ++g) {
        const uint8_t* p = bytes + g * kLanes;
        for (int j = 0; j < kLanes; ++j) {
          const uint32_t v = p[j];
          lane[j] += v;
          lane_squares[j] += v * v;
        }
      }
      for (int j = 0; j < kLanes; ++j) {
        sum[j % C] += lane[j];
        squares[j % C] += lane_squares[j];
      }
    }
    for (int64_t p = groups * 16; p < pixels; ++p) {
      for (int c = 0; c < C; ++c) {
        const int64_t v = bytes[p * C + c];
        sum[c] += v;
        squares[c] += v * v;
      }
    }
    for (int c = 0; c < C; ++c) store_byte_stats(s, c, sum[c], squares[c]);
  }

  void byte_sums_any(double* s, const uint8_t* bytes, int64_t pixels) const {
    for (int32_t c = 0; c < shape.channels; ++c) {
      int64_t sum = 0, squares = 0;
      for (int64_t p = 0; p < pixels; ++p) {
        const int64_t v = bytes[p * shape.channels + c];
        sum += v;
        squares += v * v;
      }
      store_byte_stats(s, c, sum, squares);
    }
  }

  // float_row_stats for images of C channels: the same additions in the same order (partial sum j
  // of channel c takes columns x = j mod 4 in increasing x, the remainder goes to partial 0),
  // so bit for bit the same sums, but reading the row in memory order with the partial sums
  // in registers.
  template <int C>
  void host_row_stats(int64_t b, int32_t y) const {
    const float* row = out + b * shape.out_size() + static_cast<int64_t>(y) * shape.out_w * C;
    double sum[4][C] = {}, squares[4][C] = {};  // float_row_stats' s0..s3 and q0..q3
    int32_t x = 0;
    for (; x + 3 < shape.out_w; x += 4) {
      for (int j = 0; j < 4; ++j) {
        for (int c = 0; c < C; ++c) {
          const double v = row[(x + j) * C + c];
          sum[j][c] += v;
          squares[j][c] += v * v;
        }
      }
    }
    for (; x < shape.out_w; ++x) {
      for (int c = 0; c < C; ++c) {
        const double v = row[x * C + c];
        sum[0][c] += v;
        squares[0][c] += v * v;
      }
    }
    double* s = stats + ((b * shape.out_h + y) * C) * 2;
    for (int c = 0; c < C; ++c) {
      s[2 * c] = (sum[0][c] + sum[1][c]) + (sum[2][c] + sum[3][c]);
      s[2 * c + 1] = (squares[0][c] + squares[1][c]) + (squares[2][c] + squares[3][c]);
    }
  }

  // Whether window column x reads a column of the stored image (not the zero padding).
  bool inside_column(const ImageDraw& d, int32_t x) const {
    const int32_t sx = d.ox + (d.flip ? shape.out_w - 1 - x : x);
    return sx >= 0 && sx < shape.in_w;
  }

};

// The phases as index-mapped functors (the GPU launches them in this order).
template <class T>
struct BatchTransformDraw {
  BatchTransform<T> t;
  RT_HD void operator()(int64_t i) const { t.draw(i); }
};
template <class T>
struct BatchTransformPixels {
  BatchTransform<T> t;
  RT_HD void operator()(int64_t i) const {
    const int64_t b = i / t.shape.out_pixels(), p = i % t.shape.out_pixels();
    t.pixel(t.draws[b], b, static_cast<int32_t>(p / t.shape.out_w),
            static_cast<int32_t>(p % t.shape.out_w));
  }
};
template <class T>
struct BatchTransformRowStats {
  BatchTransform<T> t;
  RT_HD void operator()(int64_t i) const {
    t.row_stats(i / t.shape.out_h, static_cast<int32_t>(i % t.shape.out_h));
  }
};
template <class T>
struct BatchTransformCoefficients {
  BatchTransform<T> t;
  RT_HD void operator()(int64_t i) const { t.coefficients(i); }
};
template <class T>
struct BatchTransformApply {
  BatchTransform<T> t;
  RT_HD void operator()(int64_t i) const {
    t.apply(i / t.shape.out_size(), i % t.shape.out_size());
  }
};

// Doubles of statistics workspace a batch of `rows` needs.
inline int64_t batch_transform_stats_size(int64_t rows, const TransformShape& s) {
  return rows * s.out_h * s.channels * 2;
}

namespace cpu {
template <class T>
void batch_transform(const BatchTransform<T>& t);
}  // namespace cpu

namespace cuda {
template <class T>
void batch_transform(const BatchTransform<T>& t, Stream stream);
}  // namespace cuda

}  // namespace rethink::kernels
