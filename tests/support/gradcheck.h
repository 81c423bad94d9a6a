// Finite-difference gradient checking for the autograd ops, in float64.
//
//   EXPECT_TRUE(rethink::test::gradcheck(
//       [&](const std::vector<Tensor>& in) { return ops::softmax_cross_entropy(in[0], labels); },
//       {logits}));
//
// The loss function must return a one-element float64 tensor and be a pure function of its
// inputs. gradcheck runs backward() once for the analytic gradients, then perturbs every
// element of every input by +-eps (under NoGradGuard) for the central difference
//   (f(x + eps) - f(x - eps)) / (2 eps),
// and on failure names the worst element: which input, which flat index, both values.
//
// project() turns an op's non-scalar output into such a loss: sum_i p_i * y_i with fixed
// random weights p, so that every output element reaches the loss with a distinct weight (a
// transposed or shifted gradient cannot cancel out).
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/philox.h"
#include "runtime/autograd.h"
#include "runtime/tensor.h"

namespace rethink::test {

using LossFn = std::function<Tensor(const std::vector<Tensor>&)>;

struct GradcheckOptions {
  double eps = 1e-6;
  // |analytic - numeric| <= atol + rtol * |numeric|. Central differences in double with eps
  // 1e-6 are good to ~1e-10 on O(1) losses; a wrong gradient is off by far more.
  double atol = 1e-7;
  double rtol = 1e-5;
};

inline ::testing::AssertionResult gradcheck(const LossFn& loss_fn, std::vector<Tensor> inputs,
                                            const GradcheckOptions& options = {}) {
  for (size_t k = 0; k < inputs.size(); ++k) {
    const Tensor& x = inputs[k];
    if (!x.defined() || x.dtype() != DType::kFloat64 || !x.is_leaf()) {
      return ::testing::AssertionFailure()
             << "gradcheck: input " << k << " must be a defined float64 leaf, got " << x.describe();
    }
    x.set_grad(Tensor());
    inputs[k].set_requires_grad(true);
  }

  const Tensor loss = loss_fn(inputs);
  if (loss.dtype() != DType::kFloat64 || loss.numel() != 1) {
    return ::testing::AssertionFailure()
           << "gradcheck: the loss must be one float64 element, got " << loss.describe();
  }
  loss.backward();
  std::vector<std::vector<double>> analytic;
  for (const Tensor& x : inputs) {
    // No gradient at all counts as zero: right only if the loss does not depend on x.
    analytic.push_back(x.grad().defined() ? x.grad().to_vector<double>()
                                          : std::vector<double>(static_cast<size_t>(x.numel())));
  }

  NoGradGuard no_grad;
  const auto eval = [&]() { return loss_fn(inputs).item<double>(); };
  double worst_ratio = -1;
  size_t worst_input = 0;
  int64_t worst_index = 0;
  double worst_analytic = 0, worst_numeric = 0;
  int64_t failures = 0;
  for (size_t k = 0; k < inputs.size(); ++k) {
    double* p = inputs[k].data<double>();
    for (int64_t i = 0; i < inputs[k].numel(); ++i) {
      const double saved = p[i];
      p[i] = saved + options.eps;
      const double plus = eval();
      p[i] = saved - options.eps;
      const double minus = eval();
      p[i] = saved;
      const double numeric = (plus - minus) / (2 * options.eps);
      const double a = analytic[k][static_cast<size_t>(i)];
      const double ratio =
          std::abs(a - numeric) / (options.atol + options.rtol * std::abs(numeric));
      if (!(ratio <= 1)) ++failures;  // NaN counts as a failure
      if (!(ratio <= worst_ratio)) {
        worst_ratio = ratio;
        worst_input = k;
        worst_index = i;
        worst_analytic = a;
        worst_numeric = numeric;
      }
    }
  }
  if (failures == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << failures << " gradient element(s) disagree with central differences; worst: input "
         << worst_input << " (" << inputs[worst_input].describe() << ") flat index " << worst_index
         << ": backward() " << worst_analytic << " vs numeric " << worst_numeric << " ("
         << worst_ratio << "x the tolerance)";
}

// Float64 tensor of the given shape with values drawn uniformly from [low, high).
inline Tensor random_tensor(const Shape& shape, uint64_t seed, double low = -1, double high = 1) {
  const auto stream = kernels::PhiloxStream::make(seed, kernels::RngPurpose::kData);
  std::vector<double> v(static_cast<size_t>(shape.numel()));
  for (size_t i = 0; i < v.size(); ++i) v[i] = low + (high - low) * stream.uniform_double(i);
  return Tensor::from_vector(shape, v);
}

// Like random_tensor, but every value is at least `margin` away from zero: keeps the kink of
// relu out of reach of the finite-difference step.
inline Tensor random_tensor_away_from_zero(const Shape& shape, uint64_t seed, double margin = 0.1) {
  const auto stream = kernels::PhiloxStream::make(seed, kernels::RngPurpose::kData);
  std::vector<double> v(static_cast<size_t>(shape.numel()));
  for (size_t i = 0; i < v.size(); ++i) {
    const double u = stream.uniform_double(i);  // [0, 1): sign from the lower half
    const double magnitude = margin + (1 - margin) * stream.uniform_double(i + v.size());
    v[i] = u < 0.5 ? -magnitude : magnitude;
  }
  return Tensor::from_vector(shape, v);
}

// Int32 labels in [0, classes).
inline Tensor random_labels(int64_t rows, int64_t classes, uint64_t seed) {
  const auto stream = kernels::PhiloxStream::make(seed, kernels::RngPurpose::kLabels);
  std::vector<int32_t> v(static_cast<size_t>(rows));
  for (size_t i = 0; i < v.size(); ++i) {
    v[i] = static_cast<int32_t>(stream.below(i, static_cast<uint32_t>(classes)));
  }
  return Tensor::from_vector(Shape{rows}, v);
}

namespace detail {

// d(sum_i p_i y_i)/dy_i = p_i * dloss.
class ProjectBackward final : public Node {
 public:
  ProjectBackward(const Tensor& y, Tensor weights) : Node({y}), weights_(std::move(weights)) {}
  std::string_view name() const override { return "test::project"; }
  std::vector<Tensor> backward(const Tensor& dloss, const std::vector<Tensor>&) override {
    const double scale = dloss.item<double>();
    Tensor dy = weights_.clone();
    double* d = dy.data<double>();
    for (int64_t i = 0; i < dy.numel(); ++i) d[i] *= scale;
    return {dy};
  }

 private:
  Tensor weights_;
};

}  // namespace detail

// sum_i p_i * y_i over a float64 tensor with fixed weights p in [0.5, 1.5) drawn from `seed`
// (a differentiable test-only op: the library has no reduction op of its own).
inline Tensor project(const Tensor& y, uint64_t seed = 12345) {
  const Tensor weights = random_tensor(y.shape(), seed, 0.5, 1.5);
  const double* p = weights.data<double>();
  const double* v = y.data<double>();
  double total = 0;
  for (int64_t i = 0; i < y.numel(); ++i) total += p[i] * v[i];
  Tensor loss = Tensor::full(Shape{}, total, DType::kFloat64);
  if (needs_grad(y)) record(loss, std::make_shared<detail::ProjectBackward>(y, weights));
  return loss;
}

}  // namespace rethink::test
