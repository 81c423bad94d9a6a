// Batch normalization over the last (channel) dimension of a row-major [rows, channels] view:
// NHWC activations have rows = N * H * W, a [N, C] tensor rows = N.
//
// Training normalizes with the batch statistics (mean, biased variance):
//   y = (x - mean) * inv_std * gamma + beta,   inv_std = 1 / sqrt(var + epsilon)
// and the backward is the full batch-statistics gradient, with xhat = (x - mean) * inv_std:
//   dbeta = sum dy,  dgamma = sum dy * xhat,
//   dx = gamma * inv_std * (dy - dbeta / n - xhat * dgamma / n).
// Inference normalizes with given statistics, and its backward is the per-channel affine one.
//
// gamma and beta are optional (nullptr): the paper's TF-slim Inception has beta only.
//
// Only the per-channel reductions are device-specific; the per-element work and the
// per-channel bookkeeping are the functors below, shared with the CUDA kernels.
#pragma once

#include <math.h>

#include <cstdint>

#include "kernels/hd.h"

namespace rethink::kernels {

// y = (x - mean[c]) * scale[c] + shift[c], with scale = gamma * inv_std and shift = beta folded
// per channel. Subtracting the mean first keeps float accuracy when |mean| >> std.
template <class T>
struct BatchNormApply {
  const T* x;
  const T* mean;
  const T* scale;
  const T* shift;
  int64_t channels;
  T* y;
  RT_HD void at(int64_t r, int64_t c) const {
    const int64_t i = r * channels + c;
    y[i] = (x[i] - mean[c]) * scale[c] + shift[c];
  }
  RT_HD void operator()(int64_t i) const {
    const int64_t c = i % channels;
    y[i] = (x[i] - mean[c]) * scale[c] + shift[c];
  }
};

// Training backward: dx = (dy - mean_dy[c] - (x - mean[c]) * coef[c]) * scale[c], where
// mean_dy = sum dy / n, coef = inv_std^2 * sum(dy * (x - mean)) / n, scale = gamma * inv_std.
template <class T>
struct BatchNormBackwardApply {
  const T* x;
  const T* dy;
  const T* mean;
  const T* mean_dy;
  const T* coef;
  const T* scale;
  int64_t channels;
  T* dx;
  RT_HD void at(int64_t r, int64_t c) const {
    const int64_t i = r * channels + c;
    dx[i] = (dy[i] - mean_dy[c] - (x[i] - mean[c]) * coef[c]) * scale[c];
  }
  RT_HD void operator()(int64_t i) const { at(i / channels, i % channels); }
};

// Inference backward: the statistics are constants, so dx = dy * gamma * inv_std.
template <class T>
struct BatchNormBackwardFrozen {
  const T* dy;
  const T* scale;
  int64_t channels;
  T* dx;
  RT_HD void at(int64_t r, int64_t c) const {
    const int64_t i = r * channels + c;
    dx[i] = dy[i] * scale[c];
  }
  RT_HD void operator()(int64_t i) const { dx[i] = dy[i] * scale[i % channels]; }
};

// Per channel: inv_std from the variance, and the folded scale and shift BatchNormApply uses.
template <class T>
struct BatchNormCoefficients {
  const T* variance;
  const T* gamma;  // nullptr: 1
  const T* beta;   // nullptr: 0
  double epsilon;
  T* inv_std;
  T* scale;
  T* shift;
  RT_HD void operator()(int64_t c) const {
    const double s = 1.0 / sqrt(static_cast<double>(variance[c]) + epsilon);
    inv_std[c] = static_cast<T>(s);
    scale[c] = static_cast<T>(gamma ? s * static_cast<double>(gamma[c]) : s);
    shift[c] = beta ? beta[c] : T(0);
  }
};

// Per channel, from the reductions sum_dy = sum dy and sum_dy_xmu = sum dy * (x - mean):
// the parameter gradients and BatchNormBackwardApply's coefficients (when mean_dy is set).
template <class T>
struct BatchNormBackwardCoefficients {
  const double* sum_dy;
  const double* sum_dy_xmu;
  const T* inv_std;
  const T* gamma;  // nullptr: 1
  double rows;
  T* mean_dy;  // nullptr: inference backward, which needs only scale
  T* coef;
  T* scale;
  T* dgamma;  // nullptr: not wanted
  T* dbeta;   // nullptr: not wanted
  bool add_dgamma;
  bool add_dbeta;
  RT_HD void operator()(int64_t c) const {
    const double s = static_cast<double>(inv_std[c]);
    if (mean_dy) {
      mean_dy[c] = static_cast<T>(sum_dy[c] / rows);
      coef[c] = static_cast<T>(sum_dy_xmu[c] * s * s / rows);
    }
    if (scale) scale[c] = static_cast<T>(gamma ? s * static_cast<double>(gamma[c]) : s);
    if (dgamma) {
      const double g = sum_dy_xmu[c] * s;
      dgamma[c] = static_cast<T>(add_dgamma ? static_cast<double>(dgamma[c]) + g : g);
    }
    if (dbeta) {
      dbeta[c] = static_cast<T>(add_dbeta ? static_cast<double>(dbeta[c]) + sum_dy[c] : sum_dy[c]);
    }
  }
};

// TensorFlow's moving averages, per channel, with the bias correction applied on the way out:
//   acc = decay * acc + (1 - decay) * batch     (the variance made unbiased: * n / (n - 1))
//   corrected = acc / (1 - prod of the decays so far)
// The accumulators start at 0, so the correction divides by the weight the batches hold.
template <class T>
struct BatchNormMovingAverage {
  const T* batch_mean;
  const T* batch_variance;  // biased, as the forward normalizes with it
  double decay;
  double unbias;      // n / (n - 1)
  double inv_weight;  // 1 / (1 - decay^t), t counting this update
  T* mean_accumulator;
  T* variance_accumulator;
  T* corrected_mean;
  T* corrected_variance;
  RT_HD void operator()(int64_t c) const {
    const double m = decay * static_cast<double>(mean_accumulator[c]) +
                     (1 - decay) * static_cast<double>(batch_mean[c]);
    const double v = decay * static_cast<double>(variance_accumulator[c]) +
                     (1 - decay) * static_cast<double>(batch_variance[c]) * unbias;
    mean_accumulator[c] = static_cast<T>(m);
    variance_accumulator[c] = static_cast<T>(v);
    corrected_mean[c] = static_cast<T>(m * inv_weight);
    corrected_variance[c] = static_cast<T>(v * inv_weight);
  }
};

// The corrected statistics from the accumulators alone (a restored or reset state):
// corrected = accumulator * inv_weight, inv_weight = 1 / (1 - decay product).
template <class T>
struct BatchNormCorrect {
  const T* mean_accumulator;
  const T* variance_accumulator;
  double inv_weight;
  T* corrected_mean;
  T* corrected_variance;
  RT_HD void operator()(int64_t c) const {
    corrected_mean[c] = static_cast<T>(static_cast<double>(mean_accumulator[c]) * inv_weight);
    corrected_variance[c] =
        static_cast<T>(static_cast<double>(variance_accumulator[c]) * inv_weight);
  }
};

namespace cpu {

// Rows per chunk of the deterministic per-channel reductions: chunks are reduced in parallel
// into per-chunk partials (in double) and combined in chunk order, and the cut depends on the
// shape alone, so the results are the same bits for any thread count.
inline constexpr int64_t kBatchNormRowChunk = 256;

// Bytes of workspace every cpu::batch_norm_* call below needs for these sizes.
int64_t batch_norm_workspace_bytes(int64_t rows, int64_t channels);

// Training forward: writes y and, per channel, the batch mean, the biased variance and
// inv_std = 1 / sqrt(variance + epsilon). The variance is two-pass accurate (deviations from
// the mean, never E[x^2] - E[x]^2), yet x streams from memory once: each small block of rows
// is summed, then re-read from cache for its deviations, and the blocks' moments are merged.
template <class T>
void batch_norm_forward_training(const T* x, const T* gamma, const T* beta, int64_t rows,
                                 int64_t channels, double epsilon, T* y, T* mean, T* variance,
                                 T* inv_std, void* workspace);

// Inference forward with the given statistics; writes y and inv_std per channel.
template <class T>
void batch_norm_forward_inference(const T* x, const T* gamma, const T* beta, const T* mean,
                                  const T* variance, int64_t rows, int64_t channels, double epsilon,
                                  T* y, T* inv_std, void* workspace);

// Where the backward writes; a null pointer means that gradient is not wanted. add_* adds to
// what the buffer holds (a gradient accumulator) instead of overwriting it.
template <class T>
struct BatchNormGradients {
  T* dx = nullptr;
  T* dgamma = nullptr;
  T* dbeta = nullptr;
  bool add_dgamma = false;
  bool add_dbeta = false;
};

// Backward of either forward, given the mean and inv_std it normalized with. `training`
// picks the batch-statistics gradient; otherwise the statistics count as constants.
template <class T>
void batch_norm_backward(const T* x, const T* dy, const T* gamma, const T* mean, const T* inv_std,
                         int64_t rows, int64_t channels, bool training,
                         const BatchNormGradients<T>& grads, void* workspace);

// One moving-average step (BatchNormMovingAverage) over all channels.
template <class T>
void batch_norm_update_moving(const T* batch_mean, const T* batch_variance, int64_t rows,
                              int64_t channels, double decay, double decay_product,
                              T* mean_accumulator, T* variance_accumulator, T* corrected_mean,
                              T* corrected_variance);

// BatchNormCorrect over all channels.
template <class T>
void batch_norm_correct_moving(const T* mean_accumulator, const T* variance_accumulator,
                               int64_t channels, double decay_product, T* corrected_mean,
                               T* corrected_variance);

}  // namespace cpu

// The same entry points on a GPU (on `stream`). The per-channel sums are column reductions
// (kernels/cuda/reduce.cuh): fixed row chunks summed in double, then added in chunk order. The
// variance takes a second pass over x, around the exact double mean (two-pass accurate).
namespace cuda {

int64_t batch_norm_workspace_bytes(int64_t rows, int64_t channels);

template <class T>
void batch_norm_forward_training(const T* x, const T* gamma, const T* beta, int64_t rows,
                                 int64_t channels, double epsilon, T* y, T* mean, T* variance,
                                 T* inv_std, void* workspace, Stream stream);
template <class T>
void batch_norm_forward_inference(const T* x, const T* gamma, const T* beta, const T* mean,
                                  const T* variance, int64_t rows, int64_t channels, double epsilon,
                                  T* y, T* inv_std, void* workspace, Stream stream);
template <class T>
void batch_norm_backward(const T* x, const T* dy, const T* gamma, const T* mean, const T* inv_std,
                         int64_t rows, int64_t channels, bool training,
                         const cpu::BatchNormGradients<T>& grads, void* workspace, Stream stream);
template <class T>
void batch_norm_update_moving(const T* batch_mean, const T* batch_variance, int64_t rows,
                              int64_t channels, double decay, double decay_product,
                              T* mean_accumulator, T* variance_accumulator, T* corrected_mean,
                              T* corrected_variance, Stream stream);
template <class T>
void batch_norm_correct_moving(const T* mean_accumulator, const T* variance_accumulator,
                               int64_t channels, double decay_product, T* corrected_mean,
                               T* corrected_variance, Stream stream);

}  // namespace cuda

}  // namespace rethink::kernels
