// Theorem 1 (PAPER.md section 8): a two-layer ReLU network with 2n + d weights represents any
// labelling of n distinct points in d dimensions:
//   c(z) = sum_j w_j * max(<a, z> - b_j, 0),  a in R^d, b in R^n, w in R^n.
// Construction: project the points on a random Gaussian direction a (distinct points give
// distinct projections with probability 1), sort them, x_1 < ... < x_n, interleave thresholds
// b_1 < x_1 < b_2 < x_2 < ... < b_n < x_n, and solve the lower-triangular system
// [max(x_i - b_j, 0)] w = y, whose diagonal x_i - b_i is positive (Lemma 1), in O(n) with
// running sums S_i = sum_{j<=i} w_j and T_i = sum_{j<=i} w_j b_j:
//   w_i = (y_i - (S_{i-1} x_i - T_{i-1})) / (x_i - b_i).
//
// Where b_j sits in (x_{j-1}, x_j) decides how large the weights get. S_j is c's slope just
// right of b_j; with b_j = x_{j-1} + t (x_j - x_{j-1}) fitting the next point gives
//   S_j = ((y_j - y_{j-1}) / (x_j - x_{j-1}) - t S_{j-1}) / (1 - t),
// so each slope carries -t / (1 - t) of the one before. At the midpoint (t = 1/2) that factor
// is -1: the slope set by the closest pair of points (~ 1 / smallest gap) never decays, and
// every later weight is about that large. Near the previous point (t = 1/16, the default) it
// decays by 15x per point, and each weight is about the change of slope of the piecewise-linear
// interpolant at its point. Both choices satisfy Lemma 1.
//
// Everything is float64: the weights still grow like 1 / (smallest gap between projections).
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/tensor.h"

namespace rethink {

enum class ThresholdRule {
  kNearPrevious,  // b_j = x_{j-1} + (x_j - x_{j-1}) / 16
  kMidpoint,      // b_j = (x_{j-1} + x_j) / 2 (PAPER.md section 8's suggestion)
};

// UserError naming the text unless "near-previous" or "midpoint".
ThresholdRule parse_threshold_rule(std::string_view text);

struct TwoLayerReluNetwork {
  Tensor direction;   // a: float64 [d]
  Tensor thresholds;  // b: float64 [n], one per hidden unit
  Tensor weights;     // w: float64 [n], the output weights

  // Counted from the tensors themselves: d + n + n.
  int64_t weight_count() const;
  // c(z) for every row z of points (float64 [m, d]) as the network computes it: the first
  // layer's projections by a GEMM, then every one of the n hidden units at every point
  // (O(m * n)), never the recurrence that solved for the weights.
  Tensor evaluate(const Tensor& points) const;
};

struct Theorem1Build {
  TwoLayerReluNetwork network;
  int directions_drawn = 0;   // a was redrawn when two projections came too close
  double smallest_gap = 0;    // min over i of x_{i+1} - x_i
  double smallest_margin = 0; // min over i of x_i - b_i: Lemma 1's smallest eigenvalue
};

// Builds the network fitting targets (float64 [n]) on points (float64 [n, d]), which must be
// pairwise distinct (see find_repeated_points). The direction is drawn from `seed`; b_1 is
// x_1 - 1. Throws rethink::Error when no draw separates the projections by more than rounding.
Theorem1Build build_theorem1_network(const Tensor& points, const Tensor& targets, uint64_t seed,
                                     ThresholdRule rule = ThresholdRule::kNearPrevious);

// Identical rows of points (float64 [n, d]): which rows to keep (the first of each group of
// equal points, in order), how many repeats had the same label as the one kept, and the
// repeats whose label differs (no function fits both; pairs of (kept row, repeat row)).
struct RepeatedPoints {
  std::vector<int64_t> keep;
  int64_t same_label_repeats = 0;
  std::vector<std::pair<int64_t, int64_t>> conflicts;
};
RepeatedPoints find_repeated_points(const Tensor& points, const Tensor& labels);

}  // namespace rethink
