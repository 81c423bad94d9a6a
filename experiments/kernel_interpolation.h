// Minimum-norm kernel interpolation (PAPER.md section 7, the paper's "kernel trick" Eq. 3):
// solve K C = Y exactly for the Gram matrix K[i, j] = exp(-gamma ||x_i - x_j||^2) of n training
// points and one-hot targets Y, then predict argmax_k (K_test C)_k. No regularization unless
// `ridge` > 0 (then (K + ridge I) C = Y).
//
// Memory: the n x n kernel matrix, plus the points and one block of kernel rows at a time
// (the matrix is filled, factored and used in place; LAPACK's column-major routines are called
// directly so no transposed copy is made).
//
// On a GPU (options.device) the same steps run there: the points are uploaded once, the matrix
// is built by cuBLAS and the shared RBF functor and factored by cuSOLVER in device memory, the
// predictions are made block by block there, and only each block's scores come back.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "runtime/tensor.h"

namespace rethink {

struct KernelInterpolationOptions {
  double gamma = 0.02;  // the paper's MNIST bandwidth for pixels in [0, 1]
  double ridge = 0;
  bool float32 = false;  // solve in float32 (half the memory; may be ill-conditioned)
  int64_t block_bytes = int64_t{256} << 20;  // one block of kernel rows
  Device device = Device::cpu();             // where the matrix lives and is solved
};

struct KernelInterpolationResult {
  int64_t train_size = 0, test_size = 0, dims = 0, classes = 0;
  std::string solver;  // "cholesky", or "lu" when K was not numerically positive definite
  double train_error = 0;  // argmax of K C against the training labels: 0 for an interpolant
  double test_error = 0;
  double max_train_residual = 0;  // max |(K C - Y)_ik|
  double rkhs_norm = 0;           // sqrt(trace(C^T K C)): the interpolant's norm
  double seconds_kernel = 0, seconds_solve = 0, seconds_train_check = 0, seconds_test = 0;
};

// Bytes a run holds at its peak: host memory on the CPU, device memory on a GPU.
int64_t kernel_interpolation_bytes(int64_t train_size, int64_t test_size, int64_t dims,
                                   const KernelInterpolationOptions& options);

// Empty when a run of this size fits in `available` bytes (of options.device); otherwise what to
// tell the user: the memory it needs and what to do (the largest --subset that fits, or
// --float32).
std::string kernel_memory_refusal(int64_t train_size, int64_t test_size, int64_t dims,
                                  const KernelInterpolationOptions& options, int64_t available);

// Phase names ("kernel matrix", ...) with done = false when they start and true when they end.
using PhaseCallback = std::function<void(const std::string& phase, bool done)>;

// train_x, test_x: float64 [n, d] and [m, d] host rows (datasets/design_matrix.h); labels int32
// in [0, classes), on the host.
KernelInterpolationResult kernel_interpolate(const Tensor& train_x, const Tensor& train_labels,
                                             const Tensor& test_x, const Tensor& test_labels,
                                             int64_t classes,
                                             const KernelInterpolationOptions& options,
                                             const PhaseCallback& on_phase = {});

}  // namespace rethink
