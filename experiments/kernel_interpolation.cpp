#include "experiments/kernel_interpolation.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <type_traits>
#include <vector>

#include "kernels/check.h"
#include "kernels/error.h"
#include "kernels/gemm.h"
#include "kernels/linear_solve.h"
#include "kernels/rbf_kernel.h"
#include "runtime/cuda_context.h"
#include "runtime/device_allocator.h"
#include "runtime/gpu.h"
#include "runtime/memory.h"

namespace rethink {
namespace {

using Clock = std::chrono::steady_clock;
namespace kc = kernels::cpu;
namespace kg = kernels::cuda;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

int64_t element_size(const KernelInterpolationOptions& o) { return o.float32 ? 4 : 8; }

int64_t block_rows(int64_t cols, const KernelInterpolationOptions& o) {
  return std::max<int64_t>(1, o.block_bytes / (std::max<int64_t>(cols, 1) * element_size(o)));
}

double gib(int64_t bytes) { return static_cast<double>(bytes) / (1 << 30); }

// The run's arithmetic on its device: OpenBLAS and LAPACKE on the CPU, cuBLAS, cuSOLVER and
// the shared RBF functors on a GPU. Arrays are tensors on that device, and every pointer below
// points into one.
template <class T>
class DeviceMath {
 public:
  explicit DeviceMath(Device device) : device_(device) {
    if (device.is_cuda()) ctx_ = solver_context(device);
  }

  Tensor array(int64_t elements) const {
    return Tensor::empty(Shape{elements}, dtype_of<T>(), device_);
  }
  // float64 host rows in T on the device: the rows themselves where they can be.
  Tensor points(const Tensor& rows) const {
    if constexpr (std::is_same_v<T, double>) {
      return rows.to(device_);
    } else {
      Tensor converted = Tensor::empty(rows.shape(), dtype_of<T>());
      const double* from = rows.data<double>();
      T* to = converted.data<T>();
      for (int64_t i = 0; i < rows.numel(); ++i) to[i] = static_cast<T>(from[i]);
      return converted.to(device_);
    }
  }
  Tensor from_host(const std::vector<T>& values) const {
    return Tensor::from_vector(Shape{static_cast<int64_t>(values.size())}, values, device_);
  }
  // `count` elements at p, readable on the host: p itself on the CPU, else a copy in `host`.
  const T* on_host(const T* p, int64_t count, std::vector<T>& host) const {
    if (device_.is_cpu()) return p;
    host.resize(static_cast<size_t>(count));
    copy_bytes(Device::cpu(), host.data(), device_, p, static_cast<size_t>(count) * sizeof(T));
    return host.data();
  }
  // Waits for the queued work, so that a phase's time is its own.
  void finish() const { synchronize(device_); }

  void squared_norms(const T* x, int64_t n, int64_t d, T* norms) const {
    if constexpr (kBuiltWithCuda) {
      if (device_.is_cuda()) return kg::squared_norms(x, n, d, norms, ctx_.stream);
    }
    kc::squared_norms(x, n, d, norms);
  }
  void rbf_block(const T* x, const T* x_norms, int64_t rows, const T* y, const T* y_norms,
                 int64_t cols, int64_t d, T gamma, T* k, int64_t ldk) const {
    if constexpr (kBuiltWithCuda) {
      if (device_.is_cuda()) {
        return kg::rbf_block(ctx_, x, x_norms, rows, y, y_norms, cols, d, gamma, k, ldk);
      }
    }
    kc::rbf_block(x, x_norms, rows, y, y_norms, cols, d, gamma, k, ldk);
  }
  void add_ridge(T ridge, int64_t n, T* k) const {
    if constexpr (kBuiltWithCuda) {
      if (device_.is_cuda()) return kg::add_ridge(ridge, n, k, n, ctx_.stream);
    }
    kc::add_ridge(ridge, n, k, n);
  }
  // scores [rows, classes] = k [rows, n] c^T for c [classes, n].
  void scores(const T* k, int64_t rows, int64_t n, const T* c, int64_t classes, T* out) const {
    if constexpr (kBuiltWithCuda) {
      if (device_.is_cuda()) {
        return kg::gemm<T>(ctx_, false, true, rows, classes, n, T(1), k, n, c, n, T(0), out,
                           classes);
      }
    }
    kc::gemm<T>(false, true, rows, classes, n, T(1), k, n, c, n, T(0), out, classes);
  }

  // cuSOLVER's workspace for the n x n matrix at k (nothing on the CPU). A workspace that does
  // not fit beside the matrix is refused with its size.
  Tensor solve_workspace(const T* k, int64_t n) const {
    if constexpr (kBuiltWithCuda) {
      if (device_.is_cuda()) {
        const int64_t bytes = kg::solve_workspace_bytes(ctx_, k, n);
        const std::optional<GpuMemory> memory = gpu_memory(device_.index);
        // The allocator hands its cached blocks back to the driver before it gives up.
        const auto cached = static_cast<int64_t>(device_memory_stats(device_).cached_bytes);
        const int64_t usable = memory ? static_cast<int64_t>(memory->free_bytes) + cached : bytes;
        if (bytes > usable) {
          throw UserError(fmt::format(
              "cuSOLVER needs {:.2f} GiB of workspace beside the {}-point kernel matrix, but {} "
              "has {:.2f} GiB left: use a smaller --subset",
              gib(bytes), n, device_.to_string(), gib(usable)));
        }
        return Tensor::empty(Shape{bytes}, DType::kUInt8, device_);
      }
    }
    return Tensor();
  }
  bool cholesky(T* k, int64_t n, T* c, int64_t classes, const Tensor& workspace) const {
    if constexpr (kBuiltWithCuda) {
      if (device_.is_cuda()) {
        return kg::cholesky_solve(ctx_, k, n, c, classes, workspace.raw_data(), workspace.numel());
      }
    }
    return kc::cholesky_solve(k, n, c, classes);
  }
  bool lu(T* k, int64_t n, T* c, int64_t classes, const Tensor& workspace) const {
    if constexpr (kBuiltWithCuda) {
      if (device_.is_cuda()) {
        return kg::lu_solve_transposed(ctx_, k, n, c, classes, workspace.raw_data(),
                                       workspace.numel());
      }
    }
    return kc::lu_solve_transposed(k, n, c, classes);
  }

 private:
  Device device_;
  kernels::cuda::Context ctx_{};
};

// Rows of predictions for points x against the training points: scores = K(x, train) C^T,
// one block of kernel rows at a time on the device. Calls on_block(first_row, rows, scores
// [rows, classes]) with the scores on the host (the only data that comes back from a GPU).
template <class T, class OnBlock>
void predict_blocks(const DeviceMath<T>& math, const T* x, const T* x_norms, int64_t points,
                    const T* train, const T* train_norms, int64_t n, int64_t d, const T* c,
                    int64_t classes, const KernelInterpolationOptions& o, const OnBlock& on_block) {
  const int64_t rows_per_block = std::min(block_rows(n, o), std::max<int64_t>(points, 1));
  const Tensor k = math.array(rows_per_block * n);
  const Tensor scores = math.array(rows_per_block * classes);
  std::vector<T> host_scores;
  for (int64_t r0 = 0; r0 < points; r0 += rows_per_block) {
    const int64_t rows = std::min(rows_per_block, points - r0);
    math.rbf_block(x + r0 * d, x_norms + r0, rows, train, train_norms, n, d,
                   static_cast<T>(o.gamma), k.data<T>(), n);
    math.scores(k.data<T>(), rows, n, c, classes, scores.data<T>());
    on_block(r0, rows, math.on_host(scores.data<T>(), rows * classes, host_scores));
  }
}

int64_t argmax(const auto* row, int64_t classes) {
  return std::max_element(row, row + classes) - row;
}

template <class T>
KernelInterpolationResult solve(const Tensor& train_x, const Tensor& train_labels,
                                const Tensor& test_x, const Tensor& test_labels, int64_t classes,
                                const KernelInterpolationOptions& o, const PhaseCallback& phase) {
  const DeviceMath<T> math(o.device);
  const auto begin = [&](const char* name) {
    if (phase) phase(name, false);
    return Clock::now();
  };
  const auto end = [&](const char* name, Clock::time_point t0) {
    math.finish();
    const double seconds = seconds_since(t0);
    if (phase) phase(name, true);
    return seconds;
  };
  KernelInterpolationResult r;
  const int64_t n = train_x.size(0), m = test_x.size(0), d = train_x.size(1);
  r.train_size = n;
  r.test_size = m;
  r.dims = d;
  r.classes = classes;
  // The points go to the device once; only scores come back.
  const Tensor x_tensor = math.points(train_x), xt_tensor = math.points(test_x);
  const Tensor norms_tensor = math.array(n), test_norms_tensor = math.array(m);
  const T *x = x_tensor.data<T>(), *xt = xt_tensor.data<T>();
  T *norms = norms_tensor.data<T>(), *test_norms = test_norms_tensor.data<T>();
  math.squared_norms(x, n, d, norms);
  math.squared_norms(xt, m, d, test_norms);
  const int32_t* y = train_labels.data<int32_t>();
  const int32_t* yt = test_labels.data<int32_t>();
  const T gamma = static_cast<T>(o.gamma);

  // The kernel matrix: lower triangle only (all Cholesky reads), row block by row block.
  Tensor k_tensor = math.array(n * n);
  T* k = k_tensor.data<T>();
  const auto fill_kernel = [&](bool lower_only) {
    const int64_t rows_per_block = block_rows(n, o);
    for (int64_t r0 = 0; r0 < n; r0 += rows_per_block) {
      const int64_t rows = std::min(rows_per_block, n - r0);
      const int64_t cols = lower_only ? r0 + rows : n;
      math.rbf_block(x + r0 * d, norms + r0, rows, x, norms, cols, d, gamma, k + r0 * n, n);
    }
    math.add_ridge(static_cast<T>(o.ridge), n, k);
  };
  auto t0 = begin("kernel matrix");
  fill_kernel(true);
  r.seconds_kernel = end("kernel matrix", t0);

  // One-hot targets, one right-hand side per class: c [classes, n].
  std::vector<T> one_hot(static_cast<size_t>(classes * n), T(0));
  for (int64_t i = 0; i < n; ++i) one_hot[static_cast<size_t>(y[i] * n + i)] = T(1);
  const Tensor c_tensor = math.from_host(one_hot);
  T* c_solved = c_tensor.data<T>();
  t0 = begin("solve");
  Tensor workspace = math.solve_workspace(k, n);
  r.solver = "cholesky";
  if (!math.cholesky(k, n, c_solved, classes, workspace)) {
    // Not numerically positive definite (nearly repeated points, or float32): LU on the full
    // matrix instead. The right-hand sides are untouched by the failed factorization.
    r.solver = "lu";
    fill_kernel(false);
    RT_CHECK(math.lu(k, n, c_solved, classes, workspace),
             "kernel interpolation: the {} x {} kernel matrix is singular (repeated training "
             "points?): add --ridge",
             n, n);
  }
  r.seconds_solve = end("solve", t0);
  // The factor is no longer needed: free it (and cuSOLVER's workspace) before predicting.
  k_tensor = Tensor();
  workspace = Tensor();
  std::vector<T> c_host;
  const T* c = math.on_host(c_solved, classes * n, c_host);

  t0 = begin("training-set check");
  int64_t wrong = 0;
  double quadratic = 0;  // trace(C^T K C) = sum_i sum_k C[k, i] (K C)[i, k]
  predict_blocks(math, x, norms, n, x, norms, n, d, c_solved, classes, o,
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
  r.seconds_train_check = end("training-set check", t0);

  t0 = begin("test predictions");
  wrong = 0;
  predict_blocks(math, xt, test_norms, m, x, norms, n, d, c_solved, classes, o,
                 [&](int64_t first, int64_t rows, const T* scores) {
                   for (int64_t i = 0; i < rows; ++i) {
                     wrong += argmax(scores + i * classes, classes) != yt[first + i];
                   }
                 });
  r.test_error = m > 0 ? static_cast<double>(wrong) / static_cast<double>(m) : 0;
  r.seconds_test = end("test predictions", t0);
  return r;
}

}  // namespace

int64_t kernel_interpolation_bytes(int64_t train_size, int64_t test_size, int64_t dims,
                                   const KernelInterpolationOptions& options) {
  const int64_t s = element_size(options);
  const int64_t block = std::min(block_rows(train_size, options), std::max<int64_t>(train_size, 1));
  const int64_t arrays =
      s * (train_size * train_size + (train_size + test_size) * dims + block * train_size);
  // (The norms and coefficients, (n + m) + classes n elements, are left out: a sliver of the
  // matrix at any size where memory matters.) On a GPU the caller's float64 rows stay on the
  // host, and the block's share stands in for cuSOLVER's workspace, whose size is known only
  // once the matrix exists (the solve then checks it against the free memory).
  if (options.device.is_cuda()) return arrays;
  return arrays + 8 * (train_size + test_size) * dims;  // the float64 rows the caller holds
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
  return fmt::format(
      "a {}-point kernel matrix in {} needs {:.1f} GiB in all, but {} has {:.1f} GiB "
      "available: use --subset {} (the largest that fits){}",
      train_size, options.float32 ? "float32" : "float64", gib(needed),
      options.device.is_cuda() ? options.device.to_string() : std::string("this machine"),
      gib(available), lo, options.float32 ? "" : ", or --float32 to halve the matrix");
}

KernelInterpolationResult kernel_interpolate(const Tensor& train_x, const Tensor& train_labels,
                                             const Tensor& test_x, const Tensor& test_labels,
                                             int64_t classes,
                                             const KernelInterpolationOptions& options,
                                             const PhaseCallback& on_phase) {
  for (const Tensor* t : {&train_x, &test_x}) {
    RT_CHECK(t->defined() && t->rank() == 2 && t->dtype() == DType::kFloat64 &&
                 t->device().is_cpu(),
             "kernel_interpolate: points must be float64 [n, d] on the cpu, got {}",
             t->defined() ? t->describe() : std::string("none"));
  }
  RT_CHECK(train_x.size(0) > 0, "kernel_interpolate: no training points");
  RT_CHECK(test_x.size(1) == train_x.size(1),
           "kernel_interpolate: test points {} and training points {} differ in dimension",
           test_x.describe(), train_x.describe());
  check_shape(train_labels, Shape{train_x.size(0)}, "kernel_interpolate train labels");
  check_shape(test_labels, Shape{test_x.size(0)}, "kernel_interpolate test labels");
  for (const Tensor* labels : {&train_labels, &test_labels}) {
    RT_CHECK(labels->dtype() == DType::kInt32 && labels->device().is_cpu(),
             "kernel_interpolate: labels must be int32 on the cpu, got {}", labels->describe());
  }
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
