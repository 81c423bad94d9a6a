#include "experiments/kernel_interpolation.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include "kernels/check.h"
#include "kernels/gemm.h"
#include "kernels/linear_solve.h"
#include "kernels/rbf_kernel.h"

namespace rethink {
namespace {

using Clock = std::chrono::steady_clock;
namespace kc = kernels::cpu;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

int64_t element_size(const KernelInterpolationOptions& o) { return o.float32 ? 4 : 8; }

int64_t block_rows(int64_t cols, const KernelInterpolationOptions& o) {
  return std::max<int64_t>(1, o.block_bytes / (std::max<int64_t>(cols, 1) * element_size(o)));
}

template <class T>
std::vector<T> to_elements(const Tensor& x) {
  const double* p = x.data<double>();
  return std::vector<T>(p, p + x.numel());
}

// Rows of predictions for points x against the training points: scores = K(x, train) C^T,
// one block of kernel rows at a time. Calls on_block(first_row, rows, scores [rows, classes]).
template <class T, class OnBlock>
void predict_blocks(const std::vector<T>& x, const std::vector<T>& x_norms, int64_t points,
                    const std::vector<T>& train, const std::vector<T>& train_norms, int64_t n,
                    int64_t d, const std::vector<T>& c, int64_t classes,
                    const KernelInterpolationOptions& o, const OnBlock& on_block) {
  const int64_t rows_per_block = std::min(block_rows(n, o), std::max<int64_t>(points, 1));
  std::vector<T> k(static_cast<size_t>(rows_per_block * n));
  std::vector<T> scores(static_cast<size_t>(rows_per_block * classes));
  for (int64_t r0 = 0; r0 < points; r0 += rows_per_block) {
    const int64_t rows = std::min(rows_per_block, points - r0);
    kc::rbf_block(x.data() + r0 * d, x_norms.data() + r0, rows, train.data(), train_norms.data(),
                  n, d, static_cast<T>(o.gamma), k.data(), n);
    kc::gemm<T>(false, true, rows, classes, n, T(1), k.data(), n, c.data(), n, T(0),
                scores.data(), classes);
    on_block(r0, rows, scores.data());
  }
}

int64_t argmax(const auto* row, int64_t classes) {
  return std::max_element(row, row + classes) - row;
}

template <class T>
KernelInterpolationResult solve(const Tensor& train_x, const Tensor& train_labels,
                                const Tensor& test_x, const Tensor& test_labels, int64_t classes,
                                const KernelInterpolationOptions& o, const PhaseCallback& phase) {
  const auto begin = [&](const char* name) {
    if (phase) phase(name, false);
    return Clock::now();
  };
  const auto end = [&](const char* name) {
    if (phase) phase(name, true);
  };
  KernelInterpolationResult r;
  const int64_t n = train_x.size(0), m = test_x.size(0), d = train_x.size(1);
  r.train_size = n;
  r.test_size = m;
  r.dims = d;
  r.classes = classes;
  const std::vector<T> x = to_elements<T>(train_x), xt = to_elements<T>(test_x);
  std::vector<T> norms(static_cast<size_t>(n)), test_norms(static_cast<size_t>(m));
  kc::squared_norms(x.data(), n, d, norms.data());
  kc::squared_norms(xt.data(), m, d, test_norms.data());
  const int32_t* y = train_labels.data<int32_t>();
  const int32_t* yt = test_labels.data<int32_t>();
  const T gamma = static_cast<T>(o.gamma);

  // The kernel matrix: lower triangle only (all Cholesky reads), row block by row block.
  Tensor k_tensor = Tensor::empty(Shape{n, n}, o.float32 ? DType::kFloat32 : DType::kFloat64);
  T* k = k_tensor.data<T>();
  const auto fill_kernel = [&](bool lower_only) {
    const int64_t rows_per_block = block_rows(n, o);
    for (int64_t r0 = 0; r0 < n; r0 += rows_per_block) {
      const int64_t rows = std::min(rows_per_block, n - r0);
      const int64_t cols = lower_only ? r0 + rows : n;
      kc::rbf_block(x.data() + r0 * d, norms.data() + r0, rows, x.data(), norms.data(), cols, d,
                    gamma, k + r0 * n, n);
    }
    for (int64_t i = 0; i < n; ++i) k[i * n + i] += static_cast<T>(o.ridge);
  };
  auto t0 = begin("kernel matrix");
  fill_kernel(true);
  r.seconds_kernel = seconds_since(t0);
  end("kernel matrix");

  // One-hot targets, one right-hand side per class: c [classes, n].
  std::vector<T> c(static_cast<size_t>(classes * n), T(0));
  for (int64_t i = 0; i < n; ++i) c[static_cast<size_t>(y[i] * n + i)] = T(1);
  t0 = begin("solve");
  r.solver = "cholesky";
  if (!kc::cholesky_solve(k, n, c.data(), classes)) {
    // Not numerically positive definite (nearly repeated points, or float32): LU on the full
    // matrix instead. The right-hand sides are untouched by the failed factorization.
    r.solver = "lu";
    fill_kernel(false);
    RT_CHECK(kc::lu_solve_transposed(k, n, c.data(), classes),
             "kernel interpolation: the {} x {} kernel matrix is singular (repeated training "
             "points?): add --ridge",
             n, n);
  }
  r.seconds_solve = seconds_since(t0);
  end("solve");
  k_tensor = Tensor();  // the factor is no longer needed: free it before predicting

  t0 = begin("training-set check");
  int64_t wrong = 0;
  double quadratic = 0;  // trace(C^T K C) = sum_i sum_k C[k, i] (K C)[i, k]
  predict_blocks(x, norms, n, x, norms, n, d, c, classes, o,
                 [&](int64_t first, int64_t rows, const T* scores) {
                   for (int64_t i = 0; i < rows; ++i) {
                     const T* row = scores + i * classes;
                     const int64_t point = first + i;
                     wrong += argmax(row, classes) != y[point];
                     for (int64_t kk = 0; kk < classes; ++kk) {
                       const double target = kk == y[point] ? 1.0 : 0.0;
                       r.max_train_residual = std::max(
                           r.max_train_residual, std::abs(static_cast<double>(row[kk]) - target));
                       quadratic += static_cast<double>(c[kk * n + point]) * row[kk];
                     }
                   }
                 });
  r.train_error = n > 0 ? static_cast<double>(wrong) / static_cast<double>(n) : 0;
  r.rkhs_norm = std::sqrt(std::max(quadratic, 0.0));
  r.seconds_train_check = seconds_since(t0);
  end("training-set check");

  t0 = begin("test predictions");
  wrong = 0;
  predict_blocks(xt, test_norms, m, x, norms, n, d, c, classes, o,
                 [&](int64_t first, int64_t rows, const T* scores) {
                   for (int64_t i = 0; i < rows; ++i) {
                     wrong += argmax(scores + i * classes, classes) != yt[first + i];
                   }
                 });
  r.test_error = m > 0 ? static_cast<double>(wrong) / static_cast<double>(m) : 0;
  r.seconds_test = seconds_since(t0);
  end("test predictions");
  return r;
}

}  // namespace

int64_t kernel_interpolation_bytes(int64_t train_size, int64_t test_size, int64_t dims,
                                   const KernelInterpolationOptions& options) {
  const int64_t s = element_size(options);
  const int64_t block = std::min(block_rows(train_size, options), std::max<int64_t>(train_size, 1));
  return s * (train_size * train_size + (train_size + test_size) * dims + block * train_size) +
         8 * (train_size + test_size) * dims;  // the float64 rows the caller holds
}

std::string kernel_memory_refusal(int64_t train_size, int64_t test_size, int64_t dims,
                                  const KernelInterpolationOptions& options, int64_t available) {
  const int64_t needed = kernel_interpolation_bytes(train_size, test_size, dims, options);
  if (needed <= available) return "";
  int64_t lo = 0, hi = train_size;  // the largest training set that fits
  while (lo < hi) {
    const int64_t mid = (lo + hi + 1) / 2;
    if (kernel_interpolation_bytes(mid, test_size, dims, options) <= available) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  const auto gib = [](int64_t bytes) { return static_cast<double>(bytes) / (1 << 30); };
  return fmt::format(
      "a {}-point kernel matrix in {} needs {:.1f} GiB in all, but this machine has {:.1f} GiB "
      "available: use --subset {} (the largest that fits){}",
      train_size, options.float32 ? "float32" : "float64", gib(needed), gib(available), lo,
      options.float32 ? "" : ", or --float32 to halve the matrix");
}

KernelInterpolationResult kernel_interpolate(const Tensor& train_x, const Tensor& train_labels,
                                             const Tensor& test_x, const Tensor& test_labels,
                                             int64_t classes,
                                             const KernelInterpolationOptions& options,
                                             const PhaseCallback& on_phase) {
  for (const Tensor* t : {&train_x, &test_x}) {
    RT_CHECK(t->defined() && t->rank() == 2 && t->dtype() == DType::kFloat64,
             "kernel_interpolate: points must be float64 [n, d], got {}",
             t->defined() ? t->describe() : std::string("none"));
  }
  RT_CHECK(train_x.size(0) > 0, "kernel_interpolate: no training points");
  RT_CHECK(test_x.size(1) == train_x.size(1),
           "kernel_interpolate: test points {} and training points {} differ in dimension",
           test_x.describe(), train_x.describe());
  check_shape(train_labels, Shape{train_x.size(0)}, "kernel_interpolate train labels");
  check_shape(test_labels, Shape{test_x.size(0)}, "kernel_interpolate test labels");
  RT_CHECK(classes >= 2, "kernel_interpolate: need at least 2 classes, got {}", classes);
  for (const Tensor* labels : {&train_labels, &test_labels}) {
    for (const int32_t v : labels->to_vector<int32_t>()) {
      RT_CHECK(v >= 0 && v < classes, "kernel_interpolate: label {} outside [0, {})", v,
               classes);
    }
  }
  RT_CHECK(options.gamma > 0 && options.ridge >= 0 && options.block_bytes > 0,
           "kernel_interpolate: gamma must be positive and ridge non-negative");
  return options.float32 ? solve<float>(train_x, train_labels, test_x, test_labels, classes,
                                        options, on_phase)
                         : solve<double>(train_x, train_labels, test_x, test_labels, classes,
                                         options, on_phase);
}

}  // namespace rethink
