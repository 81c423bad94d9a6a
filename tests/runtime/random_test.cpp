#include "runtime/random.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "tests/support/scoped_threads.h"

namespace rethink {
namespace {

std::vector<int32_t> identity(int64_t n) {
  std::vector<int32_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}

TEST(RandomPermutation, IsAPermutation) {
  for (const int64_t n : {0, 1, 2, 17, 50000}) {
    std::vector<int32_t> p = random_permutation(n, PhiloxStream::make(1, RngPurpose::kShuffle));
    ASSERT_EQ(static_cast<int64_t>(p.size()), n);
    std::sort(p.begin(), p.end());
    EXPECT_EQ(p, identity(n)) << "n=" << n;
  }
}

TEST(RandomPermutation, ShufflesSomething) {
  EXPECT_NE(random_permutation(1000, PhiloxStream::make(1, RngPurpose::kShuffle)), identity(1000));
}

TEST(RandomPermutation, IsDeterministicForAnyThreadCount) {
  const auto stream = PhiloxStream::make(7, RngPurpose::kShuffle, 3);
  std::vector<int32_t> one, two;
  {
    test::ScopedOmpThreads t(1);
    one = random_permutation(100000, stream);
  }
  {
    test::ScopedOmpThreads t(2);
    two = random_permutation(100000, stream);
  }
  EXPECT_EQ(one, two);
  EXPECT_EQ(random_permutation(100000, PhiloxStream::make(7, RngPurpose::kShuffle, 3)), one);
}

// Element i goes to the rank of its key bits64(i): the GPU can reproduce it from the keys alone.
TEST(RandomPermutation, SortsIndicesByTheirDraws) {
  const auto stream = PhiloxStream::make(5, RngPurpose::kShuffle);
  const std::vector<int32_t> p = random_permutation(1000, stream);
  for (size_t i = 1; i < p.size(); ++i) {
    ASSERT_LT(stream.bits64(static_cast<uint64_t>(p[i - 1])),
              stream.bits64(static_cast<uint64_t>(p[i])))
        << i;
  }
}

TEST(RandomPermutation, DiffersAcrossEpochsAndSeeds) {
  const auto epoch0 = random_permutation(1000, PhiloxStream::make(1, RngPurpose::kShuffle, 0));
  EXPECT_NE(random_permutation(1000, PhiloxStream::make(1, RngPurpose::kShuffle, 1)), epoch0);
  EXPECT_NE(random_permutation(1000, PhiloxStream::make(2, RngPurpose::kShuffle, 0)), epoch0);
  EXPECT_NE(random_permutation(1000, PhiloxStream::make(1, RngPurpose::kShuffle, 0, 1)), epoch0);
}

TEST(RandomPermutation, RejectsNegativeSize) {
  EXPECT_THROW(random_permutation(-1, PhiloxStream{}), Error);
}

constexpr int64_t kN = 100000;

template <class T>
class FillRandomTest : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(FillRandomTest, FloatTypes);

TYPED_TEST(FillRandomTest, UniformStaysInRangeWithTheRightMean) {
  using T = TypeParam;
  const double low = -2, high = 3;
  const Tensor t = Tensor::zeros(Shape{kN}, dtype_of<T>());
  fill_uniform(t, low, high, PhiloxStream::make(11, RngPurpose::kInit));
  double sum = 0;
  for (const T v : t.template to_vector<T>()) {
    ASSERT_GE(v, T(low));
    ASSERT_LT(v, T(high));
    sum += v;
  }
  // Standard error of the mean: (high - low) / sqrt(12 n); 5 sigma.
  EXPECT_NEAR(sum / kN, (low + high) / 2, 5 * (high - low) / std::sqrt(12.0 * kN));
}

TYPED_TEST(FillRandomTest, UniformElementIIsDrawI) {
  using T = TypeParam;
  const auto stream = PhiloxStream::make(12, RngPurpose::kInit);
  const Tensor t = Tensor::zeros(Shape{3, 5}, dtype_of<T>());
  fill_uniform(t, -1, 1, stream);
  const std::vector<T> v = t.template to_vector<T>();
  for (size_t i = 0; i < v.size(); ++i) {
    EXPECT_EQ(v[i], static_cast<T>(-1 + 2 * stream.uniform_double(i))) << i;
  }
}

TYPED_TEST(FillRandomTest, NormalHasTheRequestedMeanAndStd) {
  using T = TypeParam;
  const double mean = 2, stddev = 3;
  const Tensor t = Tensor::zeros(Shape{kN}, dtype_of<T>());
  fill_normal(t, mean, stddev, PhiloxStream::make(13, RngPurpose::kInit));
  double sum = 0, sum_sq = 0;
  for (const T v : t.template to_vector<T>()) {
    sum += v;
    sum_sq += double(v) * v;
  }
  const double m = sum / kN;
  const double sd = std::sqrt(sum_sq / kN - m * m);
  // Standard errors: stddev / sqrt(n) for the mean, stddev / sqrt(2n) for the std; 5 sigma.
  EXPECT_NEAR(m, mean, 5 * stddev / std::sqrt(double(kN)));
  EXPECT_NEAR(sd, stddev, 5 * stddev / std::sqrt(2.0 * kN));
}

TEST(FillRandom, SameStreamSameValuesDifferentPurposeDifferentValues) {
  const Tensor a = Tensor::zeros(Shape{64}), b = Tensor::zeros(Shape{64}),
               c = Tensor::zeros(Shape{64});
  fill_normal(a, 0, 1, PhiloxStream::make(3, RngPurpose::kInit));
  fill_normal(b, 0, 1, PhiloxStream::make(3, RngPurpose::kInit));
  fill_normal(c, 0, 1, PhiloxStream::make(3, RngPurpose::kData));
  EXPECT_EQ(a.to_vector<float>(), b.to_vector<float>());
  EXPECT_NE(a.to_vector<float>(), c.to_vector<float>());
}

TEST(FillRandom, RejectsIntegerTensors) {
  EXPECT_THROW(fill_uniform(Tensor::zeros(Shape{2}, DType::kInt32), 0, 1, PhiloxStream{}), Error);
  EXPECT_THROW(fill_normal(Tensor::zeros(Shape{2}, DType::kUInt8), 0, 1, PhiloxStream{}), Error);
}

}  // namespace
}  // namespace rethink
