// The convolutions conv2d_bench (CPU) and cuda_kernels_bench (GPU) time: every distinct
// convolution of the small Inception (PAPER.md 4.1), SAME padding, and the random inputs they
// are timed on.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/philox.h"
#include "runtime/tensor.h"

namespace rethink::bench {

struct ConvSpec {
  int64_t size, in_c, out_c, kernel, stride;
  std::string name() const {
    return fmt::format("{}x{}/{}-{}/{}x{}{}", size, size, in_c, out_c, kernel, kernel,
                       stride > 1 ? "/s2" : "");
  }
};

inline const std::vector<ConvSpec> kInceptionConvs = {
    {28, 3, 96, 3, 1},   {28, 96, 32, 1, 1},  {28, 96, 32, 3, 1},   {28, 64, 32, 1, 1},
    {28, 64, 48, 3, 1},  {28, 80, 80, 3, 2},  {14, 160, 112, 1, 1}, {14, 160, 96, 1, 1},
    {14, 160, 80, 1, 1}, {14, 160, 48, 1, 1}, {14, 160, 48, 3, 1},  {14, 160, 64, 3, 1},
    {14, 160, 80, 3, 1}, {14, 160, 96, 3, 1}, {14, 144, 96, 3, 2},  {7, 240, 176, 1, 1},
    {7, 240, 160, 3, 1}, {7, 336, 176, 1, 1}, {7, 336, 160, 3, 1},
};

// n floats uniform in [-1, 1) on the host, keyed by seed (never time zeros).
inline Tensor random_floats(int64_t n, uint64_t seed) {
  Tensor t = Tensor::empty(Shape{n});
  float* p = t.data<float>();
  const auto s = kernels::PhiloxStream::make(seed, kernels::RngPurpose::kData);
  for (int64_t i = 0; i < n; ++i) p[i] = 2 * s.uniform(static_cast<uint64_t>(i)) - 1;
  return t;
}

}  // namespace rethink::bench
