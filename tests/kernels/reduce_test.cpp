#include "kernels/cpu/reduce.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "kernels/bias.h"
#include "kernels/philox.h"
#include "tests/support/scoped_threads.h"

namespace rethink::kernels {
namespace {

// Values spread over six orders of magnitude with both signs, so that summing them in another
// order almost surely changes the rounded result.
std::vector<float> spread_values(int64_t n, uint64_t seed) {
  const auto s = PhiloxStream::make(seed, RngPurpose::kData);
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const double magnitude = std::pow(10.0, 6 * s.uniform_double(2 * i) - 3);
    v[static_cast<size_t>(i)] =
        static_cast<float>(s.uniform_double(2 * i + 1) < 0.5 ? -magnitude : magnitude);
  }
  return v;
}

uint64_t bits_of(double x) {
  uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}

double sum_with_threads(const std::vector<float>& v, int threads) {
  test::ScopedOmpThreads scoped(threads);
  return cpu::sum(static_cast<int64_t>(v.size()),
                  [&](int64_t i) { return double(v[static_cast<size_t>(i)]); });
}

TEST(DeterministicSum, SameBitsForOneAndTwoThreads) {
  const std::vector<float> v = spread_values(1000000, 1);
  EXPECT_EQ(bits_of(sum_with_threads(v, 1)), bits_of(sum_with_threads(v, 2)));
}

// The documented order: fixed chunks of kReduceChunk, each summed in order, then the chunk
// sums in order. A tail chunk shorter than kReduceChunk is included (n is not a multiple).
TEST(DeterministicSum, EqualsFixedChunkOrder) {
  const std::vector<float> v = spread_values(1000003, 2);
  double total = 0;
  for (size_t c = 0; c < v.size(); c += cpu::kReduceChunk) {
    double chunk = 0;
    for (size_t i = c; i < std::min(v.size(), c + cpu::kReduceChunk); ++i) chunk += v[i];
    total += chunk;
  }
  EXPECT_EQ(bits_of(sum_with_threads(v, 2)), bits_of(total));
}

TEST(DeterministicSum, SmallAndEmptyInputs) {
  EXPECT_EQ(cpu::sum(0, [](int64_t) { return 1.0; }), 0.0);
  EXPECT_EQ(cpu::sum(5, [](int64_t i) { return double(i); }), 10.0);
  // Just over one chunk: takes the parallel path with two chunks.
  const int64_t n = cpu::kReduceChunk + 1;
  EXPECT_EQ(cpu::sum(n, [](int64_t) { return 1.0; }), double(n));
}

template <class T>
std::vector<T> naive_column_sums(const std::vector<T>& dy, int64_t rows, int64_t cols) {
  std::vector<T> db(static_cast<size_t>(cols));
  for (int64_t c = 0; c < cols; ++c) {
    double acc = 0;  // rows in order, in double: what bias_grad_rows promises
    for (int64_t r = 0; r < rows; ++r) acc += dy[static_cast<size_t>(r * cols + c)];
    db[static_cast<size_t>(c)] = static_cast<T>(acc);
  }
  return db;
}

std::vector<float> bias_grad_with_threads(const std::vector<float>& dy, int64_t rows, int64_t cols,
                                          int threads) {
  test::ScopedOmpThreads scoped(threads);
  std::vector<float> db(static_cast<size_t>(cols), -1.0f);
  cpu::bias_grad_rows(dy.data(), rows, cols, db.data());
  return db;
}

TEST(BiasGradRows, SameBitsForOneAndTwoThreads) {
  const int64_t rows = 1000, cols = 1000;  // four column blocks of 256, the last partial
  const std::vector<float> dy = spread_values(rows * cols, 3);
  const std::vector<float> one = bias_grad_with_threads(dy, rows, cols, 1);
  const std::vector<float> two = bias_grad_with_threads(dy, rows, cols, 2);
  ASSERT_EQ(one.size(), two.size());
  EXPECT_EQ(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)), 0);
}

TEST(BiasGradRows, EqualsNaiveColumnSumsLarge) {
  const int64_t rows = 1000, cols = 1000;
  const std::vector<float> dy = spread_values(rows * cols, 4);
  EXPECT_EQ(bias_grad_with_threads(dy, rows, cols, 2), naive_column_sums(dy, rows, cols));
}

TEST(BiasGradRows, EqualsNaiveColumnSumsOddShapes) {
  for (const auto& [rows, cols] :
       std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {1, 7}, {5, 3}, {3, 257}, {17, 513}}) {
    const std::vector<float> dy = spread_values(rows * cols, 5);
    EXPECT_EQ(bias_grad_with_threads(dy, rows, cols, 2), naive_column_sums(dy, rows, cols))
        << rows << "x" << cols;
  }
}

TEST(BiasGradRows, DoubleEqualsNaiveColumnSums) {
  const int64_t rows = 9, cols = 300;
  const std::vector<float> f = spread_values(rows * cols, 6);
  const std::vector<double> dy(f.begin(), f.end());
  std::vector<double> db(cols);
  cpu::bias_grad_rows(dy.data(), rows, cols, db.data());
  EXPECT_EQ(db, naive_column_sums(dy, rows, cols));
}

TEST(BiasGradRows, AccumulateAddsTheSumsToWhatTheBufferHolds) {
  const int64_t rows = 6, cols = 5;
  const std::vector<float> dy = spread_values(rows * cols, 7);
  const std::vector<float> sums = naive_column_sums(dy, rows, cols);
  std::vector<float> db = {1.0f, -2.0f, 0.5f, 0.0f, 3.0f};
  const std::vector<float> before = db;
  cpu::bias_grad_rows(dy.data(), rows, cols, db.data(), /*accumulate=*/true);
  for (int64_t c = 0; c < cols; ++c) {
    EXPECT_FLOAT_EQ(db[c], before[c] + sums[c]) << "column " << c;
  }
}

}  // namespace
}  // namespace rethink::kernels
