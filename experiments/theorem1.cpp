#include "experiments/theorem1.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>

#include "kernels/check.h"
#include "kernels/error.h"
#include "kernels/gemm.h"
#include "kernels/relu_interpolant.h"
#include "runtime/random.h"

namespace rethink {
namespace {

// Directions tried before giving up on separating the projections.
constexpr int kMaxDirections = 8;
// Neighbouring projections closer than this many ulps of the largest one are not told apart
// reliably once rounded: the weight between them would be noise.
constexpr double kMinGapUlps = 64;

void require_points(const Tensor& points, std::string_view what) {
  RT_CHECK(points.defined() && points.rank() == 2 && points.dtype() == DType::kFloat64 &&
               points.device().is_cpu(),
           "{}: points must be float64 [n, d] on the CPU, got {}", what,
           points.defined() ? points.describe() : std::string("none"));
}

// <a, z_i> for every row: the network's first layer.
std::vector<double> project(const Tensor& points, const Tensor& direction) {
  const int64_t n = points.size(0), d = points.size(1);
  std::vector<double> x(static_cast<size_t>(n));
  kernels::cpu::gemm<double>(false, false, n, 1, d, 1.0, points.data<double>(), d,
                             direction.data<double>(), 1, 0.0, x.data(), 1);
  return x;
}

}  // namespace

int64_t TwoLayerReluNetwork::weight_count() const {
  return direction.numel() + thresholds.numel() + weights.numel();
}

Tensor TwoLayerReluNetwork::evaluate(const Tensor& points) const {
  require_points(points, "TwoLayerReluNetwork::evaluate");
  RT_CHECK(points.size(1) == direction.numel(),
           "TwoLayerReluNetwork::evaluate: points {} have {} coordinates, the network {}",
           points.describe(), points.size(1), direction.numel());
  const std::vector<double> x = project(points, direction);
  Tensor out = Tensor::empty(Shape{points.size(0)}, DType::kFloat64);
  kernels::cpu::relu_interpolant(x.data(), points.size(0), thresholds.data<double>(),
                                 weights.data<double>(), weights.numel(), out.data<double>());
  return out;
}

ThresholdRule parse_threshold_rule(std::string_view text) {
  if (text == "near-previous") return ThresholdRule::kNearPrevious;
  if (text == "midpoint") return ThresholdRule::kMidpoint;
  throw UserError(fmt::format("--thresholds {}: use near-previous or midpoint", text));
}

Theorem1Build build_theorem1_network(const Tensor& points, const Tensor& targets, uint64_t seed,
                                     ThresholdRule rule) {
  require_points(points, "build_theorem1_network");
  const int64_t n = points.size(0), d = points.size(1);
  RT_CHECK(n > 0 && d > 0, "build_theorem1_network: no points in {}", points.describe());
  check_shape(targets, Shape{n}, "build_theorem1_network targets");
  RT_CHECK(targets.dtype() == DType::kFloat64, "build_theorem1_network: targets {} must be float64",
           targets.describe());
  const double* y = targets.data<double>();

  Theorem1Build build;
  Tensor direction = Tensor::empty(Shape{d}, DType::kFloat64);
  std::vector<double> x;
  std::vector<int64_t> order(static_cast<size_t>(n));
  double gap = 0;
  for (build.directions_drawn = 1;; ++build.directions_drawn) {
    fill_normal(direction, 0.0, 1.0,
                PhiloxStream::make(seed, RngPurpose::kInit, 0,
                                   static_cast<uint32_t>(build.directions_drawn)));
    x = project(points, direction);
    std::iota(order.begin(), order.end(), int64_t{0});
    std::sort(order.begin(), order.end(), [&](int64_t i, int64_t j) { return x[i] < x[j]; });
    gap = std::numeric_limits<double>::infinity();
    double largest = std::abs(x[order[0]]);
    for (int64_t k = 1; k < n; ++k) {
      gap = std::min(gap, x[order[k]] - x[order[k - 1]]);
      largest = std::max(largest, std::abs(x[order[k]]));
    }
    if (n == 1 || gap > kMinGapUlps * std::numeric_limits<double>::epsilon() * largest) break;
    RT_CHECK(build.directions_drawn < kMaxDirections,
             "Theorem 1: {} random directions all projected two of the {} points within "
             "rounding of each other (smallest gap {:.3g}); the points are (nearly) repeated: "
             "remove repeats first",
             kMaxDirections, n, gap);
  }
  build.smallest_gap = n > 1 ? gap : 0;

  Tensor thresholds = Tensor::empty(Shape{n}, DType::kFloat64);
  Tensor weights = Tensor::empty(Shape{n}, DType::kFloat64);
  double* b = thresholds.data<double>();
  double* w = weights.data<double>();
  double running_w = 0, running_wb = 0;  // S_{i-1} and T_{i-1}
  build.smallest_margin = std::numeric_limits<double>::infinity();
  for (int64_t k = 0; k < n; ++k) {
    const double xi = x[order[k]];
    if (k == 0) {
      b[k] = xi - 1.0;
    } else {
      const double previous = x[order[k - 1]];
      b[k] = previous + (xi - previous) * (rule == ThresholdRule::kMidpoint ? 0.5 : 1.0 / 16);
    }
    const double margin = xi - b[k];
    build.smallest_margin = std::min(build.smallest_margin, margin);
    w[k] = (y[order[k]] - (running_w * xi - running_wb)) / margin;
    running_w += w[k];
    running_wb += w[k] * b[k];
  }
  build.network = {direction, thresholds, weights};
  return build;
}

RepeatedPoints find_repeated_points(const Tensor& points, const Tensor& labels) {
  require_points(points, "find_repeated_points");
  const int64_t n = points.size(0), d = points.size(1);
  check_shape(labels, Shape{n}, "find_repeated_points labels");
  const int32_t* label = labels.data<int32_t>();
  const double* p = points.data<double>();
  const size_t row_bytes = static_cast<size_t>(d) * sizeof(double);
  const auto row = [&](int64_t i) {
    return std::string_view(reinterpret_cast<const char*>(p + i * d), row_bytes);
  };

  RepeatedPoints out;
  // Rows by content: hash collisions are resolved by comparing the bytes (std::string_view
  // equality), so only truly identical rows group together. (-0.0 and 0.0 differ in bytes,
  // but pixels scaled from uint8 are never -0.0.)
  std::unordered_map<std::string_view, int64_t> first_of;
  first_of.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const auto [it, inserted] = first_of.try_emplace(row(i), i);
    if (inserted) {
      out.keep.push_back(i);
    } else if (label[it->second] == label[i]) {
      ++out.same_label_repeats;
    } else {
      out.conflicts.emplace_back(it->second, i);
    }
  }
  return out;
}

}  // namespace rethink
