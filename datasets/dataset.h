// A labelled image data set held in memory: a training split and a test split.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/tensor.h"

namespace rethink {

struct Split {
  Tensor images;  // float32 [N, H, W, C] (NHWC, as every image tensor in rethink)
  Tensor labels;  // int32 [N], in [0, classes)
  int64_t size() const { return labels.defined() ? labels.numel() : 0; }
};

struct Dataset {
  std::string spec;  // the --data text it was loaded from
  std::string kind;  // "synthetic", ...
  Split train;
  Split test;
  int64_t channels = 0;
  int64_t height = 0;
  int64_t width = 0;
  int64_t classes = 0;
  // Images in the FULL training set: the size of one epoch for learning-rate decay, even
  // when only a subset is trained on.
  int64_t full_train_size = 0;
};

// Loads the data set a --data spec names. Known forms:
//   synthetic:N,C,H,W,K   N Gaussian images of C channels x H x W with uniform random labels in [0, K),
//                         and a test split of ceil(N / 5) more, all drawn from `seed`
// A malformed or unknown spec throws UserError naming it and the accepted forms.
Dataset load_dataset(const std::string& spec, uint64_t seed);

}  // namespace rethink
