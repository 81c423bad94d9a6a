// The loader's gather-transform kernel (kernels/batch_transform.h) and the loader around it:
// preprocessing against hand computations, augmentation draws, and resume-exact epochs.
#include "kernels/batch_transform.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <set>

#include "datasets/augment.h"
#include "datasets/batch_loader.h"
#include "datasets/randomize.h"
#include "tests/support/data.h"

namespace rethink {
namespace {

using kernels::TransformShape;

// n uint8 images of h x w x c with Philox-random bytes, labels i mod 10.
Split random_bytes(int64_t n, int64_t h, int64_t w, int64_t c, uint64_t seed = 1) {
  const auto v = test::uniform_values<double>(n * h * w * c, seed, 0, 256);
  std::vector<uint8_t> px(v.size());
  for (size_t i = 0; i < v.size(); ++i) px[i] = static_cast<uint8_t>(v[i]);
  std::vector<int32_t> y(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) y[static_cast<size_t>(i)] = static_cast<int32_t>(i % 10);
  return {Tensor::from_vector(Shape{n, h, w, c}, px), Tensor::from_vector(Shape{n}, y)};
}

// Everything one kernel run writes.
struct Output {
  std::vector<float> images;
  std::vector<int32_t> labels;
  std::vector<kernels::ImageDraw> draws;
};

template <class T>
Output run_kernel(const Split& split, const std::vector<int32_t>& index, const AugmentOptions& a,
                  bool whiten, uint64_t seed, int64_t epoch, bool index_by_index) {
  const TransformShape s = transform_shape(split);
  const auto rows = static_cast<int64_t>(index.size());
  Output o;
  o.images.assign(static_cast<size_t>(rows * s.out_size()), -99.0f);
  o.labels.assign(static_cast<size_t>(rows), -1);
  o.draws.resize(static_cast<size_t>(rows));
  std::vector<double> stats(static_cast<size_t>(kernels::batch_transform_stats_size(rows, s)));
  const kernels::BatchTransform<T> t{split.images.data<T>(),
                                     split.labels.data<int32_t>(),
                                     index.data(),
                                     rows,
                                     s,
                                     a,
                                     whiten,
                                     augment_stream(seed, epoch),
                                     o.images.data(),
                                     o.labels.data(),
                                     o.draws.data(),
                                     stats.data()};
  if (!index_by_index) {
    kernels::cpu::batch_transform(t);
    return o;
  }
  // The phases as the GPU launches them, one index at a time.
  for (int64_t i = 0; i < rows; ++i) kernels::BatchTransformDraw<T>{t}(i);
  for (int64_t i = 0; i < rows * s.out_pixels(); ++i) kernels::BatchTransformPixels<T>{t}(i);
  for (int64_t i = 0; i < rows * s.out_h; ++i) kernels::BatchTransformRowStats<T>{t}(i);
  for (int64_t i = 0; i < rows; ++i) kernels::BatchTransformCoefficients<T>{t}(i);
  for (int64_t i = 0; i < rows * s.out_size(); ++i) kernels::BatchTransformApply<T>{t}(i);
  return o;
}

AugmentOptions everything() {
  AugmentOptions a;
  a.crop = a.flip = a.brightness = a.contrast = a.rotate = true;
  return a;
}

TEST(BatchTransformTest, TheFunctorRunIndexByIndexEqualsTheCpuEntryPointBitForBit) {
  const std::vector<int32_t> index = {5, 0, 17, 3, 3, 11, 2, 19};
  const Split bytes32 = random_bytes(20, 32, 32, 3);
  const Split bytes28 = random_bytes(20, 28, 28, 1);
  Split floats = random_bytes(20, 30, 26, 2);
  floats.images = Tensor::from_vector(floats.images.shape(),
                                      test::uniform_values<float>(floats.images.numel(), 4));
  for (const AugmentOptions& a : {AugmentOptions{}, parse_augment("crop,flip"), everything()}) {
    for (bool whiten : {true, false}) {
      const auto check = [&]<class T>(const Split& split, const char* what) {
        const Output cpu = run_kernel<T>(split, index, a, whiten, 3, 2, false);
        const Output one = run_kernel<T>(split, index, a, whiten, 3, 2, true);
        const std::string name =
            std::string(what) + " " + augment_name(a) + (whiten ? " whitened" : "");
        ASSERT_EQ(std::memcmp(cpu.images.data(), one.images.data(), cpu.images.size() * 4), 0)
            << name;
        EXPECT_EQ(cpu.labels, one.labels) << name;
        EXPECT_EQ(std::memcmp(cpu.draws.data(), one.draws.data(),
                              cpu.draws.size() * sizeof(kernels::ImageDraw)),
                  0)
            << name;
        for (float v : cpu.images) ASSERT_TRUE(std::isfinite(v)) << name;
      };
      check.operator()<uint8_t>(bytes32, "uint8 32x32x3");
      check.operator()<uint8_t>(bytes28, "uint8 28x28x1");
      check.operator()<float>(floats, "float 30x26x2");
    }
  }
}

TEST(BatchTransformTest, PreprocessingScalesCropsTheCenterAndWhitensAsAHandComputation) {
  const Split split = random_bytes(3, 32, 32, 3, 8);
  const Output o = run_kernel<uint8_t>(split, {2, 0}, {}, true, 0, 0, false);
  const auto px = split.images.to_vector<uint8_t>();
  const int64_t n = 28 * 28 * 3;
  for (int64_t b = 0; b < 2; ++b) {
    const int64_t image = b == 0 ? 2 : 0;
    EXPECT_EQ(o.labels[b], static_cast<int32_t>(image));
    std::vector<double> x;
    for (int64_t y = 2; y < 30; ++y) {  // rows and columns 2..29
      for (int64_t col = 2; col < 30; ++col) {
        for (int64_t c = 0; c < 3; ++c)
          x.push_back(px[((image * 32 + y) * 32 + col) * 3 + c] / 255.0);
      }
    }
    double mean = 0, var = 0;
    for (double v : x) mean += v;
    mean /= n;
    for (double v : x) var += (v - mean) * (v - mean);
    const double std_adj = std::max(std::sqrt(var / n), 1.0 / std::sqrt(double(n)));
    for (int64_t k = 0; k < n; ++k) {
      const double want = (x[k] - mean) / std_adj;
      ASSERT_NEAR(o.images[b * n + k], want, 1e-5 + 1e-5 * std::abs(want)) << b << " " << k;
    }
  }
}

TEST(BatchTransformTest, BytesScaleToWithinAnUlpOfTheirQuotientBy255) {
  for (int v = 0; v < 256; ++v) {
    const float s = kernels::scaled(static_cast<uint8_t>(v));
    const double exact = v / 255.0;
    EXPECT_LE(std::abs(s - exact), std::nextafter(static_cast<float>(exact), 2.0f) - exact) << v;
  }
  EXPECT_EQ(kernels::scaled(uint8_t{0}), 0.0f);
  EXPECT_EQ(kernels::scaled(uint8_t{255}), 1.0f);
  EXPECT_EQ(kernels::scaled(0.3f), 0.3f);  // float data are used as stored
}

TEST(BatchTransformTest, WhiteningDividesANearlyFlatImageByOneOverRootN) {
  // Bytes 100 and 101 alternate: std = 0.5 / 255, below 1 / sqrt(784) = 0.0357.
  std::vector<uint8_t> px(784);
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>(100 + i % 2);
  const Split split{Tensor::from_vector(Shape{1, 28, 28, 1}, px),
                    Tensor::from_vector(Shape{1}, std::vector<int32_t>{4})};
  const Output o = run_kernel<uint8_t>(split, {0}, {}, true, 0, 0, false);
  for (size_t i = 0; i < px.size(); ++i) {
    const double want = (px[i] / 255.0 - 100.5 / 255.0) * 28.0;
    ASSERT_NEAR(o.images[i], want, 1e-6) << i;
  }
  // A constant image whitens to zeros, not NaN.
  const Split flat{Tensor::from_vector(Shape{1, 28, 28, 1}, std::vector<uint8_t>(784, 77)),
                   split.labels};
  for (float v : run_kernel<uint8_t>(flat, {0}, {}, true, 0, 0, false).images) {
    ASSERT_NEAR(v, 0.0f, 1e-6f);
  }
}

TEST(BatchTransformTest, BrightnessAndContrastFollowTfAndWhiteningFollowsThem) {
  const Split split = random_bytes(2, 28, 28, 3, 5);
  AugmentOptions a = parse_augment("color");
  for (bool whiten : {false, true}) {
    const Output o = run_kernel<uint8_t>(split, {1}, a, whiten, 6, 1, false);
    const kernels::ImageDraw d = o.draws[0];
    EXPECT_EQ(d.brightness, augment_draw(a, transform_shape(split), 6, 1, 1).brightness);
    EXPECT_LE(std::abs(d.brightness), 63.0f / 255.0f);
    EXPECT_GE(d.contrast, 0.2f);
    EXPECT_LE(d.contrast, 1.8f);
    const auto px = split.images.to_vector<uint8_t>();
    std::vector<double> z(784 * 3);
    for (int64_t c = 0; c < 3; ++c) {
      double m = 0;
      for (int64_t p = 0; p < 784; ++p) m += px[(784 + p) * 3 + c] / 255.0 + d.brightness;
      m /= 784;
      for (int64_t p = 0; p < 784; ++p) {
        z[p * 3 + c] = (px[(784 + p) * 3 + c] / 255.0 + d.brightness - m) * d.contrast + m;
      }
    }
    if (whiten) {
      double mean = 0, var = 0;
      for (double v : z) mean += v;
      mean /= z.size();
      for (double v : z) var += (v - mean) * (v - mean);
      const double s = std::max(std::sqrt(var / z.size()), 1 / std::sqrt(2352.0));
      for (double& v : z) v = (v - mean) / s;
    }
    for (size_t k = 0; k < z.size(); ++k) {
      ASSERT_NEAR(o.images[k], z[k], 1e-5 + 1e-5 * std::abs(z[k])) << whiten << " " << k;
    }
  }
}

TEST(BatchTransformTest, CropOffsetsAndFlipsAreReproducibleFromTheKeyAndInRange) {
  const TransformShape big{32, 32, 3, 28, 28};
  const TransformShape small{28, 28, 1, 28, 28};
  const AugmentOptions a = parse_augment("crop,flip");
  std::set<int32_t> offsets_big, offsets_small;
  int flips = 0;
  for (int64_t i = 0; i < 2000; ++i) {
    const AugmentDraw d = augment_draw(a, big, 11, 3, i);
    ASSERT_GE(d.oy, 0);
    ASSERT_LE(d.oy, 4);
    ASSERT_GE(d.ox, 0);
    ASSERT_LE(d.ox, 4);
    offsets_big.insert(d.oy);
    offsets_big.insert(d.ox);
    flips += d.flip;
    const AugmentDraw again = augment_draw(a, big, 11, 3, i);
    EXPECT_EQ(std::make_tuple(d.oy, d.ox, d.flip), std::make_tuple(again.oy, again.ox, again.flip));
    // Switching other parts on leaves these draws alone.
    const AugmentDraw more = augment_draw(everything(), big, 11, 3, i);
    EXPECT_EQ(std::make_tuple(d.oy, d.ox, d.flip), std::make_tuple(more.oy, more.ox, more.flip));
    ASSERT_LE(std::abs(more.degrees), 25.0f);
    const AugmentDraw s = augment_draw(a, small, 11, 3, i);  // zero-padded by 2
    ASSERT_GE(s.oy, -2);
    ASSERT_LE(s.oy, 2);
    offsets_small.insert(s.ox);
  }
  EXPECT_EQ(offsets_big, (std::set<int32_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(offsets_small, (std::set<int32_t>{-2, -1, 0, 1, 2}));
  EXPECT_NEAR(flips, 1000, 3 * std::sqrt(500.0));
  // Another epoch or seed draws afresh; no augmentation means the center window.
  int same_epoch = 0, same_seed = 0;
  for (int64_t i = 0; i < 100; ++i) {
    const AugmentDraw d = augment_draw(a, big, 11, 3, i);
    const AugmentDraw e = augment_draw(a, big, 11, 4, i);
    const AugmentDraw f = augment_draw(a, big, 12, 3, i);
    same_epoch += d.oy == e.oy && d.ox == e.ox && d.flip == e.flip;
    same_seed += d.oy == f.oy && d.ox == f.ox && d.flip == f.flip;
    const AugmentDraw c = augment_draw({}, big, 11, 3, i);
    EXPECT_EQ(std::make_tuple(c.oy, c.ox, c.flip), std::make_tuple(2, 2, 0));
  }
  EXPECT_LT(same_epoch, 20);  // 1 in 50 by chance
  EXPECT_LT(same_seed, 20);
}

TEST(BatchTransformTest, ARandomCropIsTheDrawnWindowFlippedWithZeroPadding) {
  for (int64_t side : {32, 28}) {
    const Split split = random_bytes(6, side, side, 2, 3);
    const std::vector<int32_t> index = {0, 1, 2, 3, 4, 5};
    const Output o =
        run_kernel<uint8_t>(split, index, parse_augment("crop,flip"), false, 2, 0, false);
    const auto px = split.images.to_vector<uint8_t>();
    int padded = 0;
    for (int64_t b = 0; b < 6; ++b) {
      const AugmentDraw& d = o.draws[b];
      for (int64_t y = 0; y < 28; ++y) {
        for (int64_t x = 0; x < 28; ++x) {
          const int64_t sy = d.oy + y, sx = d.ox + (d.flip ? 27 - x : x);
          for (int64_t c = 0; c < 2; ++c) {
            const bool inside = sy >= 0 && sy < side && sx >= 0 && sx < side;
            padded += !inside;
            const float want =
                inside ? kernels::scaled(px[((b * side + sy) * side + sx) * 2 + c]) : 0.0f;
            ASSERT_EQ(o.images[((b * 28 + y) * 28 + x) * 2 + c], want) << side << " " << b;
          }
        }
      }
    }
    if (side == 28) {
      EXPECT_GT(padded, 0);
    }
  }
}

TEST(BatchTransformTest, RotationSamplesTheWindowBilinearlyAboutItsCenterWithZeroFill) {
  const Split split = random_bytes(4, 9, 9, 1, 12);  // smaller than the crop: out = 9x9
  AugmentOptions a;
  a.rotate = true;
  const Output o = run_kernel<uint8_t>(split, {0, 1, 2, 3}, a, false, 1, 0, false);
  const auto px = split.images.to_vector<uint8_t>();
  int zeros = 0;
  for (int64_t b = 0; b < 4; ++b) {
    const double t = o.draws[b].degrees * M_PI / 180;
    EXPECT_GT(std::abs(o.draws[b].degrees), 0.0f);
    const auto at = [&](int64_t y, int64_t x) {
      return y < 0 || y > 8 || x < 0 || x > 8 ? 0.0 : px[(b * 9 + y) * 9 + x] / 255.0;
    };
    for (int64_t y = 0; y < 9; ++y) {
      for (int64_t x = 0; x < 9; ++x) {
        const double u = std::cos(t) * (x - 4) + std::sin(t) * (y - 4) + 4;
        const double v = std::cos(t) * (y - 4) - std::sin(t) * (x - 4) + 4;
        const double y0 = std::floor(v), x0 = std::floor(u), ty = v - y0, tx = u - x0;
        const auto iy = static_cast<int64_t>(y0), ix = static_cast<int64_t>(x0);
        const double want = (1 - ty) * ((1 - tx) * at(iy, ix) + tx * at(iy, ix + 1)) +
                            ty * ((1 - tx) * at(iy + 1, ix) + tx * at(iy + 1, ix + 1));
        ASSERT_NEAR(o.images[(b * 9 + y) * 9 + x], want, 1e-5) << b << " " << y << " " << x;
        zeros += want == 0.0;
      }
    }
    // The center is the rotation's fixed point.
    EXPECT_NEAR(o.images[(b * 9 + 4) * 9 + 4], at(4, 4), 1e-6);
  }
  EXPECT_GT(zeros, 0);  // corners rotate in from outside the window
}

TEST(BatchTransformTest, AugmentParsesItsPartsAndRejectsUnknownOnesNamingThem) {
  EXPECT_EQ(augment_name(parse_augment("none")), "none");
  EXPECT_EQ(augment_name(parse_augment("rotate,crop,color")), "crop,brightness,contrast,rotate");
  EXPECT_EQ(augment_name(parse_augment("flip")), "flip");
  for (const char* bad : {"", "crop,", "crops", "flip,zoom"}) {
    EXPECT_THROW(parse_augment(bad), UserError) << bad;
  }
}

LoaderOptions unwhitened() {
  LoaderOptions o;
  o.whiten = false;
  return o;
}

// Everything a loader yields in one pass, as bytes.
struct Pass {
  std::vector<float> images;
  std::vector<int32_t> labels;
};

Pass epoch_pass(BatchLoader& loader, int64_t epoch) {
  loader.start_epoch(epoch);
  Pass p;
  Batch batch;
  while (loader.next(batch)) {
    const auto x = batch.images.to_vector<float>();
    const auto y = batch.labels.to_vector<int32_t>();
    p.images.insert(p.images.end(), x.begin(), x.end());
    p.labels.insert(p.labels.end(), y.begin(), y.end());
  }
  return p;
}

Dataset random_label_bytes() {
  Dataset d;
  d.train = random_bytes(50, 32, 32, 3, 21);
  d.test = random_bytes(5, 32, 32, 3, 22);
  d.classes = 10;
  randomize(d, {.mode = Randomization::kRandomLabels, .seed = 4});
  return d;
}

TEST(BatchTransformTest, ALoaderYieldsTheSameEpochWhenRunThroughAndWhenRestartedThere) {
  const LoaderOptions options{.augment = parse_augment("crop,flip,color,rotate"), .seed = 4};
  const Dataset first = random_label_bytes();
  BatchLoader loader(first.train, 16, options);
  const Pass epoch0 = epoch_pass(loader, 0);
  epoch_pass(loader, 1);
  const Pass epoch2 = epoch_pass(loader, 2);
  EXPECT_EQ(loader.shape().out_h, 28);
  EXPECT_EQ(epoch0.images.size(), 50u * 28 * 28 * 3);

  // A resumed run rebuilds the data set from the seed and starts at epoch 2.
  const Dataset second = random_label_bytes();
  BatchLoader resumed(second.train, 16, options);
  const Pass again = epoch_pass(resumed, 2);
  EXPECT_EQ(again.labels, epoch2.labels);
  EXPECT_EQ(std::memcmp(again.images.data(), epoch2.images.data(), again.images.size() * 4), 0);
  const Pass again0 = epoch_pass(resumed, 0);
  EXPECT_EQ(again0.labels, epoch0.labels);
  EXPECT_EQ(again0.images, epoch0.images);
  // A different epoch is another order and other draws.
  EXPECT_NE(epoch0.labels, epoch2.labels);
  EXPECT_NE(epoch0.images, epoch2.images);
  // The labels are the randomized ones, in the epoch's order.
  const auto order = epoch_order(50, 4, 2);
  const auto labels = second.train.labels.to_vector<int32_t>();
  for (size_t k = 0; k < order.size(); ++k) EXPECT_EQ(epoch2.labels[k], labels[order[k]]);
}

TEST(BatchTransformTest, FloatDataPassThroughUnscaledAndTooManyChannelsAreRefused) {
  const Dataset d = load_dataset("synthetic:8,2,3,4,5", 1);
  BatchLoader loader(d.train, 8, unwhitened());
  loader.start();
  Batch batch;
  ASSERT_TRUE(loader.next(batch));
  EXPECT_EQ(batch.images.shape(), (Shape{8, 3, 4, 2}));
  EXPECT_EQ(batch.images.to_vector<float>(), d.train.images.to_vector<float>());
  const Split wide{Tensor::zeros(Shape{1, 2, 2, 17}, DType::kUInt8), d.train.labels};
  EXPECT_THROW(BatchLoader(wide, 1), UserError);
}

}  // namespace
}  // namespace rethink
