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
// launches them one after another. Both run the same member functions, and the statistics are
// summed in double in a fixed order, so the two agree bitwise on every integer (draws, offsets,
// flips, labels) and within float rounding on pixels.
#pragma once

#include <math.h>

#include <cstdint>

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

template <class T>
RT_HD float scaled(T v) {
  if constexpr (sizeof(T) == 1) {
    return static_cast<float>(v) / 255.0f;
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

  // Value at (wy, wx) of the flipped window: zero outside it and outside the stored image.
  RT_HD float window_at(const ImageDraw& d, const T* image, int32_t wy, int32_t wx,
                        int32_t c) const {
    if (wy < 0 || wy >= shape.out_h || wx < 0 || wx >= shape.out_w) return 0.0f;
    const int32_t sy = d.oy + wy;
    const int32_t sx = d.ox + (d.flip ? shape.out_w - 1 - wx : wx);
    if (sy < 0 || sy >= shape.in_h || sx < 0 || sx >= shape.in_w) return 0.0f;
    return scaled(image[(static_cast<int64_t>(sy) * shape.in_w + sx) * shape.channels + c]);
  }

  // Phase 2: the unwhitened value of every channel of output pixel (y, x).
  RT_HD void pixel(const ImageDraw& d, int64_t b, int32_t y, int32_t x) const {
    const T* image = images + static_cast<int64_t>(d.source) * shape.in_size();
    float* o =
        out + b * shape.out_size() + (static_cast<int64_t>(y) * shape.out_w + x) * shape.channels;
    if (!augment.rotate) {
      for (int32_t c = 0; c < shape.channels; ++c) o[c] = window_at(d, image, y, x, c);
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
    for (int32_t c = 0; c < shape.channels; ++c) {
      const float top =
          (1.0f - tx) * window_at(d, image, y0, x0, c) + tx * window_at(d, image, y0, x0 + 1, c);
      const float bottom = (1.0f - tx) * window_at(d, image, y0 + 1, x0, c) +
                           tx * window_at(d, image, y0 + 1, x0 + 1, c);
      o[c] = (1.0f - ty) * top + ty * bottom;
    }
  }

  // Phase 3: sums over output row y, per channel, in double. Four partial sums (x mod 4, in a
  // fixed order, so every device sums alike) break the chain of dependent additions that
  // otherwise dominates the CPU's time.
  RT_HD void row_stats(int64_t b, int32_t y) const {
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

  // Every phase for image b, in the phases' order: the CPU's unit of work. Without rotation
  // the pixels are copied row by row with the bounds hoisted and uint8 scaled through a table
  // of scaled(v): the same values pixel() writes, at a fraction of the cost.
  void image(int64_t b) const {
    draw(b);
    const ImageDraw d = draws[b];
    const int32_t channels = shape.channels;
    if (augment.rotate) {
      for (int32_t y = 0; y < shape.out_h; ++y) {
        for (int32_t x = 0; x < shape.out_w; ++x) pixel(d, b, y, x);
      }
    } else {
      float table[sizeof(T) == 1 ? 256 : 1];
      if constexpr (sizeof(T) == 1) {
        for (int v = 0; v < 256; ++v) table[v] = scaled(static_cast<T>(v));
      }
      const T* image = images + static_cast<int64_t>(d.source) * shape.in_size();
      for (int32_t y = 0; y < shape.out_h; ++y) {
        float* o = out + b * shape.out_size() + static_cast<int64_t>(y) * shape.out_w * channels;
        const int32_t sy = d.oy + y;
        if (sy < 0 || sy >= shape.in_h) {
          for (int32_t k = 0; k < shape.out_w * channels; ++k) o[k] = 0.0f;
          continue;
        }
        const T* row = image + static_cast<int64_t>(sy) * shape.in_w * channels;
        for (int32_t x = 0; x < shape.out_w; ++x) {
          const int32_t sx = d.ox + (d.flip ? shape.out_w - 1 - x : x);
          float* ox = o + x * channels;
          if (sx < 0 || sx >= shape.in_w) {
            for (int32_t c = 0; c < channels; ++c) ox[c] = 0.0f;
            continue;
          }
          const T* src = row + sx * channels;
          for (int32_t c = 0; c < channels; ++c) {
            if constexpr (sizeof(T) == 1) {
              ox[c] = table[src[c]];
            } else {
              ox[c] = scaled(src[c]);
            }
          }
        }
      }
    }
    for (int32_t y = 0; y < shape.out_h; ++y) row_stats(b, y);
    coefficients(b);
    const ImageDraw& done = draws[b];
    float* o = out + b * shape.out_size();
    for (int64_t p = 0; p < shape.out_pixels(); ++p) {
      for (int32_t c = 0; c < channels; ++c) {
        o[p * channels + c] = o[p * channels + c] * done.scale + done.shift[c];
      }
    }
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
