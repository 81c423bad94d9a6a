// Keyed Philox4x32-10 streams (Random123), identical in host and device code.
//
// A stream is keyed by (seed, purpose) and counted by (element index, step, stream id):
//   key     = { seed low word, seed high word mixed with the purpose }
//   counter = { element index low word, element index high word, step or epoch, stream id }
// so every draw is a pure function of its coordinates: dropout masks, epoch shuffles and label
// corruption are bitwise the same on the CPU and the GPU, for any thread count, after a resume.
#pragma once

#include <Random123/philox.h>
#include <math.h>

#include <cstdint>

#include "kernels/hd.h"

namespace rethink::kernels {

// What a stream is for; part of its key so that purposes never share draws.
enum class RngPurpose : uint32_t {
  kInit = 1,
  kDropout = 2,
  kShuffle = 3,
  kAugment = 4,
  kLabels = 5,
  kPixels = 6,
  kData = 7,
};

using PhiloxBlock = r123::Philox4x32::ctr_type;

struct PhiloxStream {
  uint32_t key0 = 0;
  uint32_t key1 = 0;
  uint32_t step = 0;
  uint32_t stream = 0;

  RT_HD static PhiloxStream make(uint64_t seed, RngPurpose purpose, uint32_t step = 0,
                                 uint32_t stream = 0) {
    PhiloxStream s;
    s.key0 = static_cast<uint32_t>(seed);
    // The golden-ratio multiple spreads small purpose ids over the whole word.
    s.key1 = static_cast<uint32_t>(seed >> 32) ^ (static_cast<uint32_t>(purpose) * 0x9E3779B9u);
    s.step = step;
    s.stream = stream;
    return s;
  }

  // Four 32-bit words for block b; element i of the stream is word i % 4 of block i / 4.
  RT_HD PhiloxBlock block(uint64_t b) const {
    r123::Philox4x32 philox;
    PhiloxBlock counter = {{static_cast<uint32_t>(b), static_cast<uint32_t>(b >> 32), step, stream}};
    r123::Philox4x32::key_type key = {{key0, key1}};
    return philox(counter, key);
  }

  RT_HD uint32_t bits(uint64_t i) const { return block(i >> 2).v[i & 3]; }

  RT_HD uint64_t bits64(uint64_t i) const {
    const PhiloxBlock b = block(i >> 1);
    const int w = static_cast<int>(i & 1) * 2;
    return (static_cast<uint64_t>(b.v[w]) << 32) | b.v[w + 1];
  }

  // Uniform in [0, 1) with 24 random bits: exact in float.
  RT_HD float uniform(uint64_t i) const {
    return static_cast<float>(bits(i) >> 8) * (1.0f / 16777216.0f);
  }

  // Uniform in [0, 1) with 53 random bits.
  RT_HD double uniform_double(uint64_t i) const {
    return static_cast<double>(bits64(i) >> 11) * (1.0 / 9007199254740992.0);
  }

  // Uniform integer in [0, k): multiply-shift, bias below k / 2^32.
  RT_HD uint32_t below(uint64_t i, uint32_t k) const {
    return static_cast<uint32_t>((static_cast<uint64_t>(bits(i)) * k) >> 32);
  }

  // Standard normal by Box-Muller from the two 53-bit uniforms of block i.
  RT_HD double normal(uint64_t i) const {
    const PhiloxBlock b = block(i);
    const double u1 =
        static_cast<double>(((static_cast<uint64_t>(b.v[0]) << 32) | b.v[1]) >> 11) *
        (1.0 / 9007199254740992.0);
    const double u2 =
        static_cast<double>(((static_cast<uint64_t>(b.v[2]) << 32) | b.v[3]) >> 11) *
        (1.0 / 9007199254740992.0);
    constexpr double kTwoPi = 6.283185307179586476925286766559;
    return sqrt(-2.0 * log(1.0 - u1)) * cos(kTwoPi * u2);
  }
};

}  // namespace rethink::kernels
