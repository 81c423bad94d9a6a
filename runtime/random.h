// Host-side random tensors and permutations drawn from keyed Philox streams
// (kernels/philox.h): the same seed and purpose give the same values on every machine.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/philox.h"
#include "runtime/tensor.h"

namespace rethink {

using kernels::PhiloxStream;
using kernels::RngPurpose;

// A permutation of [0, n): indices sorted by a 64-bit random key each (ties, with probability
// ~n^2 / 2^65, broken by index). Sorting by keys, unlike a sequential shuffle, is a pure
// function of each element's draw, so the GPU can produce the same permutation.
std::vector<int32_t> random_permutation(int64_t n, const PhiloxStream& stream);

// Element i of the tensor gets draw i of the stream. Host tensors, float32 or float64.
void fill_uniform(const Tensor& t, double low, double high, const PhiloxStream& stream);
void fill_normal(const Tensor& t, double mean, double stddev, const PhiloxStream& stream);

}  // namespace rethink
