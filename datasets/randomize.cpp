#include "datasets/randomize.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "kernels/check.h"
#include "kernels/cpu/for_each.h"

namespace rethink {
namespace {

// Philox steps of the randomization streams. The synthetic data set draws its own labels and
// pixels at step 0, so these start at 1 and never repeat its draws.
constexpr uint32_t kLabelStep = 1;
constexpr uint32_t kShuffledStep = 1;
constexpr uint32_t kRandomPixelsStep = 2;  // + split
constexpr uint32_t kGaussianStep = 4;

struct ModeName {
  Randomization mode;
  std::string_view name;
};
constexpr std::array<ModeName, 6> kModes = {{
    {Randomization::kNone, "none"},
    {Randomization::kPartialLabels, "partial-labels"},
    {Randomization::kRandomLabels, "random-labels"},
    {Randomization::kShuffledPixels, "shuffled-pixels"},
    {Randomization::kRandomPixels, "random-pixels"},
    {Randomization::kGaussian, "gaussian"},
}};

void require_images(const Tensor& images, const char* what) {
  RT_CHECK(images.defined() && images.rank() == 4 && images.device().is_cpu() &&
               (images.dtype() == DType::kUInt8 || images.dtype() == DType::kFloat32),
           "{}: expected host uint8 or float32 [N, H, W, C] images, got {}", what,
           images.defined() ? images.describe() : "none");
}

template <class Fn>
decltype(auto) dispatch_pixels(DType t, Fn&& fn) {
  if (t == DType::kUInt8) return fn.template operator()<uint8_t>();
  return fn.template operator()<float>();
}

// Row size of one image, in elements.
int64_t image_size(const Tensor& images) {
  return images.numel() / std::max<int64_t>(images.size(0), 1);
}

template <class T>
void permute_image(const T* in, T* out, const std::vector<int32_t>& permutation, int64_t channels) {
  const int64_t positions = static_cast<int64_t>(permutation.size());
  for (int64_t p = 0; p < positions; ++p) {
    const T* src = in + static_cast<int64_t>(permutation[static_cast<size_t>(p)]) * channels;
    for (int64_t c = 0; c < channels; ++c) out[p * channels + c] = src[c];
  }
}

void check_permutation_size(const Tensor& images, size_t size) {
  RT_CHECK(static_cast<int64_t>(size) == images.size(1) * images.size(2),
           "a permutation of {} positions for images of {}x{}", size, images.size(1),
           images.size(2));
}

}  // namespace

Randomization parse_randomization(std::string_view text) {
  for (const ModeName& m : kModes) {
    if (m.name == text) return m.mode;
  }
  throw UserError(
      fmt::format("--randomize '{}' is not a randomization: use none, "
                  "partial-labels, random-labels, shuffled-pixels, random-pixels or "
                  "gaussian",
                  text));
}

std::string_view randomization_name(Randomization mode) {
  for (const ModeName& m : kModes) {
    if (m.mode == mode) return m.name;
  }
  return "?";
}

bool randomizes_labels(Randomization mode) {
  return mode == Randomization::kPartialLabels || mode == Randomization::kRandomLabels;
}

PhiloxStream label_stream(uint64_t seed, uint32_t split) {
  return PhiloxStream::make(seed, RngPurpose::kLabels, kLabelStep, split);
}

Tensor corrupt_labels(const Tensor& labels, double p, int64_t classes, const PhiloxStream& stream,
                      LabelCorruption* report) {
  RT_CHECK(labels.defined() && labels.dtype() == DType::kInt32 && labels.device().is_cpu(),
           "corrupt_labels: expected host int32 labels");
  if (!(p >= 0 && p <= 1)) {
    throw UserError(
        fmt::format("--corrupt-prob {} is not a probability: give a value in [0, 1]", p));
  }
  RT_CHECK(classes >= 1 && classes <= UINT32_MAX, "corrupt_labels: {} classes", classes);
  std::vector<int32_t> y = labels.to_vector<int32_t>();
  LabelCorruption r;
  r.size = static_cast<int64_t>(y.size());
  for (size_t i = 0; i < y.size(); ++i) {
    const kernels::PhiloxBlock b = stream.block(i);
    const double u = static_cast<double>(((static_cast<uint64_t>(b.v[0]) << 32) | b.v[1]) >> 11) *
                     (1.0 / 9007199254740992.0);
    if (!(u < p)) continue;
    const auto fresh = static_cast<int32_t>((static_cast<uint64_t>(b.v[2]) * classes) >> 32);
    ++r.redrawn;
    if (fresh != y[i]) ++r.changed;
    y[i] = fresh;
  }
  if (report != nullptr) *report = r;
  return Tensor::from_vector(labels.shape(), y);
}

Tensor center_crop(const Tensor& images, int64_t out_h, int64_t out_w) {
  require_images(images, "center_crop");
  const int64_t n = images.size(0), h = images.size(1), w = images.size(2), c = images.size(3);
  RT_CHECK(out_h >= 1 && out_h <= h && out_w >= 1 && out_w <= w,
           "center_crop: a {}x{} window does not fit {}x{} images", out_h, out_w, h, w);
  if (out_h == h && out_w == w) return images;
  const int64_t oy = (h - out_h) / 2, ox = (w - out_w) / 2;
  Tensor out = Tensor::empty(Shape{n, out_h, out_w, c}, images.dtype());
  dispatch_pixels(images.dtype(), [&]<class T>() {
    const T* src = images.data<T>();
    T* dst = out.data<T>();
    kernels::cpu::for_each(n * out_h, [&](int64_t r) {
      const int64_t i = r / out_h, y = r % out_h;
      std::copy_n(src + ((i * h + oy + y) * w + ox) * c, out_w * c, dst + r * out_w * c);
    });
  });
  return out;
}

std::vector<int32_t> shuffled_pixels_permutation(int64_t positions, uint64_t seed) {
  return random_permutation(positions,
                            PhiloxStream::make(seed, RngPurpose::kPixels, kShuffledStep, 0));
}

std::vector<int32_t> random_pixels_permutation(int64_t positions, uint64_t seed, uint32_t split,
                                               int64_t image) {
  RT_CHECK(image >= 0 && image <= UINT32_MAX, "image index {} out of range", image);
  return random_permutation(positions,
                            PhiloxStream::make(seed, RngPurpose::kPixels, kRandomPixelsStep + split,
                                               static_cast<uint32_t>(image)));
}

Tensor permute_pixels(const Tensor& images, const std::vector<int32_t>& permutation) {
  require_images(images, "permute_pixels");
  check_permutation_size(images, permutation.size());
  Tensor out = Tensor::empty(images.shape(), images.dtype());
  const int64_t row = image_size(images), c = images.size(3);
  dispatch_pixels(images.dtype(), [&]<class T>() {
    const T* src = images.data<T>();
    T* dst = out.data<T>();
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < images.size(0); ++i) {
      permute_image(src + i * row, dst + i * row, permutation, c);
    }
  });
  return out;
}

Tensor permute_pixels_per_image(const Tensor& images, uint64_t seed, uint32_t split) {
  require_images(images, "permute_pixels_per_image");
  Tensor out = Tensor::empty(images.shape(), images.dtype());
  const int64_t row = image_size(images), c = images.size(3);
  const int64_t positions = images.size(1) * images.size(2);
  dispatch_pixels(images.dtype(), [&]<class T>() {
    const T* src = images.data<T>();
    T* dst = out.data<T>();
    // Sorting 784 keys per image dominates: parallel over images.
#pragma omp parallel for schedule(dynamic, 64)
    for (int64_t i = 0; i < images.size(0); ++i) {
      permute_image(src + i * row, dst + i * row,
                    random_pixels_permutation(positions, seed, split, i), c);
    }
  });
  return out;
}

ChannelMoments channel_moments(const Tensor& images) {
  require_images(images, "channel_moments");
  const int64_t c = images.size(3);
  const int64_t pixels = images.numel() / c;
  RT_CHECK(pixels > 0, "channel_moments: no images");
  ChannelMoments m;
  m.mean.assign(static_cast<size_t>(c), 0.0);
  m.stddev.assign(static_cast<size_t>(c), 0.0);
  dispatch_pixels(images.dtype(), [&]<class T>() {
    const T* src = images.data<T>();
    const double scale = sizeof(T) == 1 ? 1.0 / 255.0 : 1.0;
    // Two passes in double: the variance of a million values near 0.5 must not cancel.
    std::vector<double> sum(static_cast<size_t>(c), 0.0), squares(static_cast<size_t>(c), 0.0);
    for (int64_t p = 0; p < pixels; ++p) {
      for (int64_t k = 0; k < c; ++k) sum[k] += static_cast<double>(src[p * c + k]) * scale;
    }
    for (int64_t k = 0; k < c; ++k) m.mean[k] = sum[k] / static_cast<double>(pixels);
    for (int64_t p = 0; p < pixels; ++p) {
      for (int64_t k = 0; k < c; ++k) {
        const double d = static_cast<double>(src[p * c + k]) * scale - m.mean[k];
        squares[k] += d * d;
      }
    }
    for (int64_t k = 0; k < c; ++k) {
      m.stddev[k] = std::sqrt(squares[k] / static_cast<double>(pixels));
    }
  });
  return m;
}

Tensor gaussian_images(int64_t count, int64_t h, int64_t w, const ChannelMoments& moments,
                       uint64_t seed, uint32_t split) {
  const auto c = static_cast<int64_t>(moments.mean.size());
  RT_CHECK(c >= 1 && moments.stddev.size() == moments.mean.size(), "gaussian_images: moments");
  Tensor out = Tensor::empty(Shape{count, h, w, c});
  float* dst = out.data<float>();
  const PhiloxStream stream = PhiloxStream::make(seed, RngPurpose::kPixels, kGaussianStep, split);
  kernels::cpu::for_each(out.numel(), [&](int64_t i) {
    const auto k = static_cast<size_t>(i % c);
    dst[i] = static_cast<float>(moments.mean[k] + moments.stddev[k] * stream.normal(i));
  });
  return out;
}

RandomizeReport randomize(Dataset& data, const RandomizeOptions& o) {
  RandomizeReport r;
  r.mode = o.mode;
  r.seed = o.seed;
  r.corrupt_test = o.corrupt_test;
  if (o.corrupt_test && !randomizes_labels(o.mode)) {
    throw UserError(
        fmt::format("--corrupt-test applies to --randomize partial-labels or "
                    "random-labels, not {}",
                    randomization_name(o.mode)));
  }
  if (o.mode == Randomization::kNone) return r;

  if (randomizes_labels(o.mode)) {
    r.corrupt_prob = o.mode == Randomization::kRandomLabels ? 1.0 : o.corrupt_prob;
    data.train.labels = corrupt_labels(data.train.labels, r.corrupt_prob, data.classes,
                                       label_stream(o.seed, 0), &r.train_labels);
    if (o.corrupt_test && data.test.size() > 0) {
      data.test.labels = corrupt_labels(data.test.labels, r.corrupt_prob, data.classes,
                                        label_stream(o.seed, 1), &r.test_labels);
    }
    return r;
  }

  // Pixel randomizations: on the center crop, which the data set then stores.
  const int64_t h = data.train.images.size(1), w = data.train.images.size(2);
  const int64_t out_h = std::min(h, o.crop), out_w = std::min(w, o.crop);
  if (out_h != h || out_w != w) {
    r.cropped_from_h = h;
    r.cropped_from_w = w;
  }
  Split* splits[] = {&data.train, &data.test};
  for (Split* s : splits) {
    if (s->size() > 0) s->images = center_crop(s->images, out_h, out_w);
  }
  data.height = out_h;
  data.width = out_w;
  const int64_t positions = out_h * out_w;

  switch (o.mode) {
    case Randomization::kShuffledPixels:
      r.pixel_permutation = shuffled_pixels_permutation(positions, o.seed);
      for (Split* s : splits) {
        if (s->size() > 0) s->images = permute_pixels(s->images, r.pixel_permutation);
      }
      break;
    case Randomization::kRandomPixels:
      for (uint32_t k = 0; k < 2; ++k) {
        if (splits[k]->size() > 0) {
          splits[k]->images = permute_pixels_per_image(splits[k]->images, o.seed, k);
        }
      }
      break;
    case Randomization::kGaussian:
      r.gaussian = channel_moments(data.train.images);
      for (uint32_t k = 0; k < 2; ++k) {
        splits[k]->images = gaussian_images(splits[k]->size(), out_h, out_w, r.gaussian, o.seed, k);
      }
      break;
    default:
      break;
  }
  return r;
}

}  // namespace rethink
