#include "kernels/philox.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace rethink::kernels {
namespace {

using Words = std::vector<uint32_t>;

Words words(const PhiloxBlock& b) { return {b.v[0], b.v[1], b.v[2], b.v[3]}; }

Words philox(Words ctr, Words key) {
  r123::Philox4x32 rng;
  const r123::Philox4x32::ctr_type c = {{ctr[0], ctr[1], ctr[2], ctr[3]}};
  const r123::Philox4x32::key_type k = {{key[0], key[1]}};
  return words(rng(c, k));
}

// The known-answer vectors of Random123's kat_vectors file for philox4x32 with 10 rounds.
TEST(PhiloxKnownAnswer, ZeroCounterAndKey) {
  EXPECT_EQ(philox({0, 0, 0, 0}, {0, 0}), (Words{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
}

TEST(PhiloxKnownAnswer, AllOnes) {
  EXPECT_EQ(philox({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}),
            (Words{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
}

TEST(PhiloxKnownAnswer, PiDigits) {
  EXPECT_EQ(philox({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}),
            (Words{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

// The same vectors through PhiloxStream: counter = {block low, block high, step, stream},
// key = {key0, key1}. A stream that laid out its counter differently would fail these.
TEST(PhiloxStreamKnownAnswer, ZeroStreamBlockZero) {
  const PhiloxStream s{};
  EXPECT_EQ(words(s.block(0)), (Words{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
}

TEST(PhiloxStreamKnownAnswer, AllOnes) {
  const PhiloxStream s{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff};
  EXPECT_EQ(words(s.block(0xffffffffffffffffull)),
            (Words{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
}

TEST(PhiloxStreamKnownAnswer, PiDigits) {
  const PhiloxStream s{0xa4093822, 0x299f31d0, 0x13198a2e, 0x03707344};
  EXPECT_EQ(words(s.block(0x85a308d3243f6a88ull)),
            (Words{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

TEST(PhiloxStream, BitsReadWordIModFourOfBlockIDivFour) {
  const PhiloxStream s = PhiloxStream::make(42, RngPurpose::kData, 3, 1);
  for (uint64_t b = 0; b < 5; ++b) {
    const PhiloxBlock block = s.block(b);
    for (uint64_t w = 0; w < 4; ++w) EXPECT_EQ(s.bits(4 * b + w), block.v[w]) << "b=" << b;
    EXPECT_EQ(s.bits64(2 * b), (uint64_t{block.v[0]} << 32) | block.v[1]);
  }
  // A block index above 2^32 must use the counter's high word, not wrap around.
  EXPECT_NE(words(s.block(uint64_t{1} << 32)), words(s.block(0)));
}

// Pinned on purpose: changing the key layout would silently change every seeded run (and
// break resuming a checkpoint written by an earlier build).
TEST(PhiloxStream, MakeKeysBySeedAndPurpose) {
  const PhiloxStream s = PhiloxStream::make(0x0000000500000007ull, RngPurpose::kShuffle, 9, 4);
  EXPECT_EQ(s.key0, 7u);
  EXPECT_EQ(s.key1, 5u ^ (3u * 0x9E3779B9u));
  EXPECT_EQ(s.step, 9u);
  EXPECT_EQ(s.stream, 4u);
}

Words first_words(const PhiloxStream& s, int n = 16) {
  Words out;
  for (int i = 0; i < n; ++i) out.push_back(s.bits(static_cast<uint64_t>(i)));
  return out;
}

TEST(PhiloxStream, DrawsArePureFunctionsOfTheirCoordinates) {
  const PhiloxStream a = PhiloxStream::make(1234, RngPurpose::kDropout, 7, 2);
  const PhiloxStream b = PhiloxStream::make(1234, RngPurpose::kDropout, 7, 2);
  EXPECT_EQ(first_words(a), first_words(b));
  // Random access equals sequential access: draw 1000 does not depend on draws before it.
  const uint32_t late = a.bits(1000);
  (void)a.bits(5);
  EXPECT_EQ(a.bits(1000), late);
  EXPECT_EQ(b.bits(1000), late);
}

TEST(PhiloxStream, EachCoordinateChangesTheDraws) {
  const Words base = first_words(PhiloxStream::make(1234, RngPurpose::kDropout, 7, 2));
  EXPECT_NE(first_words(PhiloxStream::make(1235, RngPurpose::kDropout, 7, 2)), base);
  EXPECT_NE(first_words(PhiloxStream::make(1234 + (uint64_t{1} << 32), RngPurpose::kDropout, 7, 2)),
            base);
  EXPECT_NE(first_words(PhiloxStream::make(1234, RngPurpose::kShuffle, 7, 2)), base);
  EXPECT_NE(first_words(PhiloxStream::make(1234, RngPurpose::kDropout, 8, 2)), base);
  EXPECT_NE(first_words(PhiloxStream::make(1234, RngPurpose::kDropout, 7, 3)), base);
}

TEST(PhiloxStream, PurposesNeverShareDrawsForOneSeed) {
  const RngPurpose all[] = {RngPurpose::kInit,    RngPurpose::kDropout, RngPurpose::kShuffle,
                            RngPurpose::kAugment, RngPurpose::kLabels,  RngPurpose::kPixels,
                            RngPurpose::kData};
  for (const RngPurpose p : all) {
    for (const RngPurpose q : all) {
      if (p == q) continue;
      EXPECT_NE(first_words(PhiloxStream::make(0, p)), first_words(PhiloxStream::make(0, q)))
          << static_cast<int>(p) << " vs " << static_cast<int>(q);
    }
  }
}

constexpr int kDraws = 100000;

TEST(PhiloxStream, UniformIsTheTopTwentyFourBitsInZeroOne) {
  const PhiloxStream s = PhiloxStream::make(99, RngPurpose::kData);
  double lo = 1, hi = 0, sum = 0;
  for (uint64_t i = 0; i < kDraws; ++i) {
    const float u = s.uniform(i);
    ASSERT_EQ(u, static_cast<float>(s.bits(i) >> 8) / 16777216.0f) << i;
    lo = std::min<double>(lo, u);
    hi = std::max<double>(hi, u);
    sum += u;
  }
  EXPECT_GE(lo, 0.0);
  EXPECT_LT(hi, 1.0);
  // Mean of U(0,1) has standard deviation sqrt(1/12/n) ~ 0.0009; allow 5 sigma.
  EXPECT_NEAR(sum / kDraws, 0.5, 5 * std::sqrt(1.0 / 12 / kDraws));
}

TEST(PhiloxStream, UniformDoubleInZeroOne) {
  const PhiloxStream s = PhiloxStream::make(98, RngPurpose::kData);
  double lo = 1, hi = 0, sum = 0;
  for (uint64_t i = 0; i < kDraws; ++i) {
    const double u = s.uniform_double(i);
    lo = std::min(lo, u);
    hi = std::max(hi, u);
    sum += u;
  }
  EXPECT_GE(lo, 0.0);
  EXPECT_LT(hi, 1.0);
  EXPECT_NEAR(sum / kDraws, 0.5, 5 * std::sqrt(1.0 / 12 / kDraws));
}

TEST(PhiloxStream, BelowStaysInRangeAndIsRoughlyUniform) {
  const PhiloxStream s = PhiloxStream::make(7, RngPurpose::kLabels);
  constexpr uint32_t kBuckets = 7;  // not a power of two
  std::vector<int> count(kBuckets);
  for (uint64_t i = 0; i < kDraws; ++i) {
    const uint32_t v = s.below(i, kBuckets);
    ASSERT_LT(v, kBuckets) << "draw " << i;
    ++count[v];
  }
  const double p = 1.0 / kBuckets;
  const double sigma = std::sqrt(kDraws * p * (1 - p));
  for (uint32_t k = 0; k < kBuckets; ++k) {
    EXPECT_NEAR(count[k], kDraws * p, 5 * sigma) << "bucket " << k;
  }
}

TEST(PhiloxStream, BelowOneIsAlwaysZero) {
  const PhiloxStream s = PhiloxStream::make(7, RngPurpose::kLabels);
  for (uint64_t i = 0; i < 1000; ++i) ASSERT_EQ(s.below(i, 1), 0u);
}

TEST(PhiloxStream, NormalHasMeanZeroAndVarianceOne) {
  const PhiloxStream s = PhiloxStream::make(2024, RngPurpose::kInit);
  double sum = 0, sum_sq = 0;
  int beyond_two_sigma = 0;
  for (uint64_t i = 0; i < kDraws; ++i) {
    const double z = s.normal(i);
    ASSERT_TRUE(std::isfinite(z)) << i;
    sum += z;
    sum_sq += z * z;
    beyond_two_sigma += std::abs(z) > 2;
  }
  const double mean = sum / kDraws;
  const double var = sum_sq / kDraws - mean * mean;
  // Standard errors: mean 1/sqrt(n), variance sqrt(2/n); 5 sigma each.
  EXPECT_NEAR(mean, 0.0, 5 / std::sqrt(double(kDraws)));
  EXPECT_NEAR(var, 1.0, 5 * std::sqrt(2.0 / kDraws));
  // The shape, not only the moments: P(|z| > 2) = 0.0455 for a normal.
  const double p = 0.0455;
  EXPECT_NEAR(beyond_two_sigma, kDraws * p, 5 * std::sqrt(kDraws * p * (1 - p)));
}

}  // namespace
}  // namespace rethink::kernels
