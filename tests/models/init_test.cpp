#include "models/init.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "tests/models/helpers.h"
#include "tests/support/throws.h"

namespace rethink {
namespace {

using test::as_doubles;

struct Moments {
  double mean = 0;
  double stddev = 0;
  double max_abs = 0;
  double fraction_beyond = 0;  // |w| > the given bound
};

Moments moments(const std::vector<double>& v, double bound) {
  Moments m;
  for (double w : v) m.mean += w;
  m.mean /= static_cast<double>(v.size());
  int64_t beyond = 0;
  for (double w : v) {
    m.stddev += (w - m.mean) * (w - m.mean);
    m.max_abs = std::max(m.max_abs, std::abs(w));
    beyond += std::abs(w) > bound;
  }
  m.stddev = std::sqrt(m.stddev / static_cast<double>(v.size()));
  m.fraction_beyond = static_cast<double>(beyond) / static_cast<double>(v.size());
  return m;
}

PhiloxStream stream(uint32_t id) { return PhiloxStream::make(11, RngPurpose::kInit, 0, id); }

constexpr int64_t kN = 1 << 18;

TEST(InitTest, GlorotUniformFillsTheSymmetricIntervalOfTheFans) {
  const Tensor w = Tensor::empty(Shape{kN});
  glorot_uniform(w, 300, 100, stream(0));
  const double a = std::sqrt(6.0 / 400);
  const Moments m = moments(as_doubles(w), a);
  EXPECT_EQ(m.fraction_beyond, 0.0);
  EXPECT_NEAR(m.mean, 0, 0.01 * a);
  EXPECT_NEAR(m.stddev, a / std::sqrt(3.0), 0.01 * a);
  EXPECT_GT(m.max_abs, 0.99 * a);  // the interval is used to its ends
}

TEST(InitTest, HeNormalHasStddevSqrtTwoOverFanInAndIsNotTruncated) {
  const Tensor w = Tensor::empty(Shape{kN});
  he_normal(w, 50, stream(1));
  const double s = std::sqrt(2.0 / 50);
  const Moments m = moments(as_doubles(w), 2 * s);
  EXPECT_NEAR(m.mean, 0, 0.01 * s);
  EXPECT_NEAR(m.stddev, s, 0.01 * s);
  // A normal puts 4.55% of its mass beyond 2 sigma.
  EXPECT_NEAR(m.fraction_beyond, 0.0455, 0.003);
}

TEST(InitTest, TruncatedNormalRedrawsBeyondTwoStddevsAsTensorFlowDoes) {
  const double s = 0.05;
  for (DType dtype : {DType::kFloat32, DType::kFloat64}) {
    const Tensor w = Tensor::empty(Shape{kN}, dtype);
    truncated_normal(w, s, stream(2));
    const Moments m = moments(as_doubles(w), 2 * s * (1 + 1e-6));
    EXPECT_EQ(m.fraction_beyond, 0.0) << "max |w| " << m.max_abs;
    EXPECT_NEAR(m.mean, 0, 0.01 * s);
    // N(0, 1) cut at +-2 has variance 1 - 4 phi(2) / (Phi(2) - Phi(-2)) = 0.77374.
    EXPECT_NEAR(m.stddev, s * std::sqrt(0.77374), 0.01 * s);
    // Redrawn, not clipped: no pile-up at the bound, and the mass inside 1 sigma grows to
    // 0.6827 / 0.9545.
    EXPECT_LT(m.max_abs, 2 * s * (1 + 1e-6));
    const Moments inner = moments(as_doubles(w), s);
    EXPECT_NEAR(1 - inner.fraction_beyond, 0.6827 / 0.9545, 0.003);
    const std::vector<double> v = as_doubles(w);
    const auto near_bound =
        std::count_if(v.begin(), v.end(), [&](double x) { return std::abs(x) > 1.99 * s; });
    EXPECT_LT(near_bound, kN / 500) << "values pile up at the bound: clipped, not redrawn";
  }
}

TEST(InitTest, DrawsDependOnlyOnTheStream) {
  for (int kind = 0; kind < 3; ++kind) {
    const auto fill = [&](const Tensor& t, const PhiloxStream& s) {
      if (kind == 0) glorot_uniform(t, 10, 10, s);
      if (kind == 1) he_normal(t, 10, s);
      if (kind == 2) truncated_normal(t, 1.0, s);
    };
    const Tensor a = Tensor::empty(Shape{1000}), b = Tensor::empty(Shape{1000});
    const Tensor c = Tensor::empty(Shape{1000});
    fill(a, stream(3));
    fill(b, stream(3));
    fill(c, stream(4));
    EXPECT_EQ(a.to_vector<float>(), b.to_vector<float>()) << kind;
    EXPECT_NE(a.to_vector<float>(), c.to_vector<float>()) << kind;
    // Element i is draw i whatever the tensor's size: a prefix of a longer tensor.
    const Tensor longer = Tensor::empty(Shape{4000});
    fill(longer, stream(3));
    const std::vector<float> l = longer.to_vector<float>();
    EXPECT_EQ(std::vector<float>(l.begin(), l.begin() + 1000), a.to_vector<float>()) << kind;
  }
}

TEST(InitTest, WeightInitFillsTheWeightByKindAndTheBiasWithItsConstant) {
  const Tensor w = Tensor::empty(Shape{64, 64});
  const Tensor b = Tensor::empty(Shape{64});
  WeightInit::truncated_normal(0.04, 0.1).apply(w, b, 64, 64, stream(5));
  for (float v : b.to_vector<float>()) EXPECT_EQ(v, 0.1f);
  const Tensor expected = Tensor::empty(Shape{64, 64});
  truncated_normal(expected, 0.04, stream(5));
  EXPECT_EQ(w.to_vector<float>(), expected.to_vector<float>());

  WeightInit::he_normal().apply(w, b, 64, 64, stream(5));
  he_normal(expected, 64, stream(5));
  EXPECT_EQ(w.to_vector<float>(), expected.to_vector<float>());
  for (float v : b.to_vector<float>()) EXPECT_EQ(v, 0.0f);

  WeightInit::glorot_uniform().apply(w, Tensor(), 64, 32, stream(5));  // no bias: fine
  glorot_uniform(expected, 64, 32, stream(5));
  EXPECT_EQ(w.to_vector<float>(), expected.to_vector<float>());
}

TEST(InitTest, RejectsImpossibleSettings) {
  const Tensor w = Tensor::empty(Shape{4});
  EXPECT_TRUE(test::throws_with<Error>([&] { truncated_normal(w, -1, stream(0)); }, {"-1"}));
  EXPECT_TRUE(test::throws_with<Error>([&] { he_normal(w, 0, stream(0)); }, {"fan_in"}));
  EXPECT_TRUE(test::throws_with<Error>([&] { glorot_uniform(w, 0, 0, stream(0)); }, {"fan_in"}));
}

}  // namespace
}  // namespace rethink
