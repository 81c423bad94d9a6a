// A labelled image data set held in memory: a training split and a test split.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/subset.h"
#include "runtime/tensor.h"

namespace rethink {

struct Split {
  // NHWC, as every image tensor in rethink: uint8 [N, H, W, C] exactly as a file stores it, or
  // float32 [N, H, W, C] for generated data. Scaling to [0, 1], cropping and whitening happen
  // per batch in the loader.
  Tensor images;
  Tensor labels;  // int32 [N], in [0, classes)
  int64_t size() const { return labels.defined() ? labels.numel() : 0; }
};

struct Dataset {
  std::string spec;      // the --data text it was loaded from
  std::string kind;      // "synthetic", "fashion-mnist", "idx", "cifar10", "imagefolder"
  std::string location;  // the folder it was read from; empty for generated data
  Split train;
  Split test;
  int64_t channels = 0;
  int64_t height = 0;
  int64_t width = 0;
  int64_t classes = 0;
  std::vector<std::string> class_names;  // empty when the format names no classes
  // Images in the FULL training set: the size of one epoch for learning-rate decay, even
  // when only a subset is trained on.
  int64_t full_train_size = 0;
  // imagefolder only: the decoded-image cache, and whether this load came from it.
  std::string cache_file;
  bool from_cache = false;
};

// The data source `rethink fit` uses when --data is absent.
inline constexpr const char* kDefaultDataSpec = "fashion-mnist";
// Where Debian's dataset-fashion-mnist package installs the gzipped IDX files.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// Loads the data set a --data spec names, then cuts it down as `subset` says. Known forms:
//   fashion-mnist          Fashion-MNIST from Debian's dataset-fashion-mnist package
//   idx:DIR                {train,t10k}-{images-idx3,labels-idx1}-ubyte, gzipped or raw
//   cifar10:DIR            CIFAR-10's binary batches (data_batch_1..5.bin, test_batch.bin)
//   imagefolder:DIR        DIR/{train,test}/<class>/*.{jpg,jpeg,png}, decoded once and cached
//   synthetic:N,C,H,W,K    N Gaussian images of C channels x H x W with uniform random labels in
//                          [0, K), and a test split of ceil(N / 5) more, all drawn from `seed`
// Files hold uint8 images; synthetic data is float32. A malformed spec, a missing or malformed
// file, or an impossible subset throws UserError naming it and what to do.
Dataset load_dataset(const std::string& spec, uint64_t seed, const SubsetOptions& subset = {});

}  // namespace rethink
