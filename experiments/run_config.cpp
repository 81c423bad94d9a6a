#include "experiments/run_config.h"

#include <fmt/format.h>

#include <algorithm>

namespace rethink {
namespace {

nlohmann::json label_json(const LabelCorruption& c, double p, int64_t classes) {
  const double n = static_cast<double>(std::max<int64_t>(c.size, 1));
  return {{"labels", c.size},
          {"redrawn", c.redrawn},
          {"changed", c.changed},
          {"changed_fraction", static_cast<double>(c.changed) / n},
          {"expected_changed_fraction", (1.0 - 1.0 / static_cast<double>(classes)) * p}};
}

}  // namespace

nlohmann::json dataset_json(const Dataset& data) {
  return {{"spec", data.spec},
          {"kind", data.kind},
          {"location", data.location},
          {"train_size", data.train.size()},
          {"test_size", data.test.size()},
          {"full_train_size", data.full_train_size},
          {"image_shape", {data.channels, data.height, data.width}},
          {"classes", data.classes}};
}

nlohmann::json randomize_json(const RandomizeReport& r, const Dataset& data) {
  nlohmann::json j = {{"mode", randomization_name(r.mode)}, {"seed", r.seed}};
  if (randomizes_labels(r.mode)) {
    j["corrupt_prob"] = r.corrupt_prob;
    j["corrupt_test"] = r.corrupt_test;
    j["rule"] =
        "each label independently with probability p redrawn uniformly from the classes "
        "(it may come out unchanged); fixed once, before training";
    j["philox"] = "key (seed, labels), step 1, stream 0 train / 1 test, block i for label i";
    j["train"] = label_json(r.train_labels, r.corrupt_prob, data.classes);
    j["test"] = r.corrupt_test ? label_json(r.test_labels, r.corrupt_prob, data.classes)
                               : nlohmann::json("clean");
  } else if (r.mode != Randomization::kNone) {
    if (r.cropped_from_h > 0) {
      j["stored_center_crop"] = {{"from", {r.cropped_from_h, r.cropped_from_w}},
                                 {"to", {data.height, data.width}}};
    }
    j["applies_to"] = "train and test";
    if (r.mode == Randomization::kShuffledPixels) {
      j["rule"] =
          "one permutation of the H*W positions (channels move together), the same for "
          "every image";
      j["philox"] = "key (seed, pixels), step 1";
    } else if (r.mode == Randomization::kRandomPixels) {
      j["rule"] =
          "an independent permutation of the H*W positions per image (channels move "
          "together)";
      j["philox"] = "key (seed, pixels), step 2 train / 3 test, stream = image index";
    } else {
      j["rule"] =
          "i.i.d. normal pixels with the training set's per-channel mean and variance "
          "(the [0, 1] scale, after the center crop), stored as float32, then whitened";
      j["philox"] = "key (seed, pixels), step 4, stream 0 train / 1 test, normal(i) per element";
      j["channel_mean"] = r.gaussian.mean;
      j["channel_stddev"] = r.gaussian.stddev;
    }
  }
  return j;
}

nlohmann::json preprocess_json(const Dataset& data, const kernels::TransformShape& shape) {
  const bool bytes = data.train.images.dtype() == DType::kUInt8;
  return {{"stored",
           {{"dtype", dtype_name(data.train.images.dtype())},
            {"shape_hwc", {shape.in_h, shape.in_w, shape.channels}}}},
          {"scale", bytes ? "x / 255" : "none (float32 data are used as stored)"},
          {"center_crop", {shape.out_h, shape.out_w}},
          {"whiten",
           "per image: (x - mean) / max(std, 1 / sqrt(H*W*C)), population std "
           "(TF per_image_standardization)"},
          {"evaluation", "center crop and whitening, no augmentation"}};
}

nlohmann::json augment_json(const AugmentOptions& a, uint64_t seed) {
  nlohmann::json j = {{"spec", augment_name(a)}};
  if (!a.any()) return j;
  j["seed"] = seed;
  j["philox"] =
      "key (seed, augment), step = epoch (0-based), words 8i..8i+7 for data set row i: "
      "fresh every epoch, the same after a resume";
  j["order"] = "crop, flip, rotate, brightness, contrast, whiten";
  if (a.crop) {
    j["crop"] = fmt::format(
        "random window, offsets uniform; images no larger than the window "
        "zero-padded by {} first",
        a.pad);
  }
  if (a.flip) j["flip"] = "left-right, probability 0.5";
  if (a.rotate) j["rotate_max_degrees"] = a.max_degrees;
  if (a.brightness) {
    j["brightness_max_delta"] = a.max_brightness;
    j["brightness_note"] =
        "a uniform shift, which per-image whitening removes (as in the TF "
        "CIFAR-10 tutorial)";
  }
  if (a.contrast) j["contrast_range"] = {a.contrast_low, a.contrast_high};
  return j;
}

}  // namespace rethink
