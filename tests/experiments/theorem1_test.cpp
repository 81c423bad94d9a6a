#include "experiments/theorem1.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/error.h"
#include "tests/support/data.h"

namespace rethink {
namespace {

Tensor points_of(int64_t n, int64_t d, uint64_t seed) {
  return Tensor::from_vector(Shape{n, d}, test::uniform_values<double>(n * d, seed));
}

Tensor class_targets(int64_t n, uint32_t classes, uint64_t seed) {
  std::vector<double> y;
  for (const int32_t v : test::index_values(n, classes, seed)) y.push_back(v);
  return Tensor::from_vector(Shape{n}, y);
}

// c(z_i) with the hidden units summed by hand, independently of the kernels.
double by_hand(const TwoLayerReluNetwork& net, const Tensor& points, int64_t i) {
  const int64_t d = points.size(1);
  const double* z = points.data<double>() + i * d;
  const double* a = net.direction.data<double>();
  double p = 0;
  for (int64_t k = 0; k < d; ++k) p += a[k] * z[k];
  double c = 0;
  for (int64_t j = 0; j < net.weights.numel(); ++j) {
    c += net.weights.data<double>()[j] * std::max(0.0, p - net.thresholds.data<double>()[j]);
  }
  return c;
}

class Theorem1Test : public ::testing::TestWithParam<ThresholdRule> {};

TEST_P(Theorem1Test, FitsRandomLabelsOnRandomPointsWithTwoNPlusDWeights) {
  const int64_t n = 2000, d = 30;
  const Tensor z = points_of(n, d, 1);
  const Tensor y = class_targets(n, 10, 2);
  const Theorem1Build build = build_theorem1_network(z, y, 7, GetParam());
  const TwoLayerReluNetwork& net = build.network;
  EXPECT_EQ(net.weight_count(), 2 * n + d);
  EXPECT_EQ(build.directions_drawn, 1);
  EXPECT_GT(build.smallest_gap, 0);
  EXPECT_GT(build.smallest_margin, 0);  // Lemma 1: the triangular system's diagonal

  // Midpoint thresholds give far larger weights (see theorem1.h), so more rounding.
  const double tol = GetParam() == ThresholdRule::kMidpoint ? 1e-4 : 1e-6;
  const Tensor c = net.evaluate(z);
  double worst = 0;
  for (int64_t i = 0; i < n; ++i) {
    worst = std::max(worst, std::abs(c.data<double>()[i] - y.data<double>()[i]));
  }
  EXPECT_LT(worst, tol);
  for (const int64_t i : {int64_t{0}, int64_t{977}, n - 1}) {
    EXPECT_NEAR(by_hand(net, z, i), y.data<double>()[i], tol) << "point " << i;
  }
}

TEST_P(Theorem1Test, ThresholdsInterleaveTheSortedProjections) {
  const Tensor z = points_of(300, 5, 3);
  const Theorem1Build build = build_theorem1_network(z, class_targets(300, 2, 4), 1, GetParam());
  const std::vector<double> b = build.network.thresholds.to_vector<double>();
  std::vector<double> x;
  for (int64_t i = 0; i < 300; ++i) {
    double p = 0;
    for (int64_t k = 0; k < 5; ++k) {
      p += build.network.direction.data<double>()[k] * z.data<double>()[i * 5 + k];
    }
    x.push_back(p);
  }
  std::sort(x.begin(), x.end());
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_LT(b[i], x[i]);
    if (i > 0) {
      EXPECT_GT(b[i], x[i - 1]);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Rules, Theorem1Test,
                         ::testing::Values(ThresholdRule::kNearPrevious, ThresholdRule::kMidpoint));

TEST(Theorem1, NearPreviousThresholdsGiveFarSmallerWeightsThanMidpoints) {
  const Tensor z = points_of(3000, 20, 5);
  const Tensor y = class_targets(3000, 10, 6);
  const auto norm = [&](ThresholdRule rule) {
    double s = 0;
    for (const double w : build_theorem1_network(z, y, 2, rule).network.weights.to_vector<double>()) {
      s += w * w;
    }
    return std::sqrt(s);
  };
  EXPECT_LT(10 * norm(ThresholdRule::kNearPrevious), norm(ThresholdRule::kMidpoint));
}

TEST(Theorem1, AWrongWeightIsCaughtByEvaluatingTheNetwork) {
  const Tensor z = points_of(500, 8, 9);
  const Tensor y = class_targets(500, 10, 10);
  Theorem1Build build = build_theorem1_network(z, y, 3);
  build.network.weights.data<double>()[250] += 1e-3;
  const Tensor c = build.network.evaluate(z);
  int64_t off = 0;
  for (int64_t i = 0; i < 500; ++i) off += std::abs(c.data<double>()[i] - y.data<double>()[i]) > 1e-6;
  EXPECT_GT(off, 0);
}

TEST(Theorem1, RepeatedPointsAreRedrawnUntilRefused) {
  std::vector<double> v = test::uniform_values<double>(10 * 3, 11);
  for (int k = 0; k < 3; ++k) v[9 * 3 + k] = v[2 * 3 + k];  // point 9 repeats point 2
  const Tensor z = Tensor::from_vector(Shape{10, 3}, v);
  EXPECT_THROW(build_theorem1_network(z, class_targets(10, 3, 1), 0), Error);
}

TEST(Theorem1, FindsRepeatsAndTellsConflictsFromHarmlessOnes) {
  std::vector<double> v = test::uniform_values<double>(6 * 4, 12);
  const auto copy_row = [&](int from, int to) {
    for (int k = 0; k < 4; ++k) v[to * 4 + k] = v[from * 4 + k];
  };
  copy_row(0, 3);  // same label below
  copy_row(1, 5);  // different label
  const Tensor z = Tensor::from_vector(Shape{6, 4}, v);
  const Tensor labels = Tensor::from_vector(Shape{6}, std::vector<int32_t>{4, 1, 2, 4, 0, 7});
  const RepeatedPoints r = find_repeated_points(z, labels);
  EXPECT_EQ(r.keep, (std::vector<int64_t>{0, 1, 2, 4}));
  EXPECT_EQ(r.same_label_repeats, 1);
  ASSERT_EQ(r.conflicts.size(), 1u);
  EXPECT_EQ(r.conflicts[0], (std::pair<int64_t, int64_t>{1, 5}));
}

TEST(Theorem1, ParsesThresholdRulesAndRejectsOthers) {
  EXPECT_EQ(parse_threshold_rule("midpoint"), ThresholdRule::kMidpoint);
  EXPECT_EQ(parse_threshold_rule("near-previous"), ThresholdRule::kNearPrevious);
  EXPECT_THROW(parse_threshold_rule("middle"), UserError);
}

}  // namespace
}  // namespace rethink
