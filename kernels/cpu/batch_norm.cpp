#include "kernels/batch_norm.h"

#include <algorithm>

#include "kernels/cpu/for_each.h"

namespace rethink::kernels::cpu {
namespace {

int64_t row_chunks(int64_t rows) { return (rows + kBatchNormRowChunk - 1) / kBatchNormRowChunk; }

// The workspace, carved into regions of `channels` doubles each (a T array fits in one).
class Workspace {
 public:
  Workspace(void* base, int64_t rows, int64_t channels)
      : partial(static_cast<double*>(base)),
        sums(partial + 4 * row_chunks(rows) * channels),
        channels_(channels) {}

  double* const partial;  // 4 * chunks * channels: per-chunk sums and scratch
  double* const sums;     // 2 * channels: the combined sums
  template <class T>
  T* slot(int k) const {  // 4 arrays of `channels` T after the sums
    return reinterpret_cast<T*>(sums + (2 + k) * channels_);
  }

 private:
  int64_t channels_;
};

// Per-channel sums over rows, in an order fixed by the shape alone: `accumulate(r0, r1, acc)`
// adds rows [r0, r1) into acc[0, width) in row order, each chunk of kBatchNormRowChunk rows
// into its own partial, and the partials are then added in chunk order.
template <class Accumulate>
void chunked_sums(int64_t rows, int64_t width, double* partial, double* out,
                  const Accumulate& accumulate) {
  const int64_t chunks = row_chunks(rows);
#pragma omp parallel for schedule(static) if (rows * width >= kMinParallelWork)
  for (int64_t k = 0; k < chunks; ++k) {
    double* acc = partial + k * width;
    std::fill(acc, acc + width, 0.0);
    accumulate(k * kBatchNormRowChunk, std::min(rows, (k + 1) * kBatchNormRowChunk), acc);
  }
  std::fill(out, out + width, 0.0);
  for (int64_t k = 0; k < chunks; ++k) {
    const double* acc = partial + k * width;
    for (int64_t j = 0; j < width; ++j) out[j] += acc[j];
  }
}

// Folds the moments of a group b (count nb, per-channel mean and sum of squared deviations)
// into those of a group a (Chan et al.): accurate, because every group's deviations were taken
// around its own mean.
void merge_moments(int64_t cols, double na, double nb, double* __restrict mean_a,
                   double* __restrict m2_a, const double* __restrict mean_b,
                   const double* __restrict m2_b) {
  const double n = na + nb;
  for (int64_t c = 0; c < cols; ++c) {
    const double delta = mean_b[c] - mean_a[c];
    mean_a[c] += delta * (nb / n);
    m2_a[c] += m2_b[c] + delta * delta * (na * nb / n);
  }
}

// Rows per block of the moment pass: a block is read twice (its mean, then its deviations),
// the second time from L1, so x streams from memory once. About 4096 values per block keeps
// it in L1 and the per-block merge cheap; it depends on the shape alone (determinism).
int64_t moment_block_rows(int64_t cols) {
  return std::clamp<int64_t>(4096 / std::max<int64_t>(cols, 1), 8, kBatchNormRowChunk);
}

// Per-channel mean and sum of squared deviations of x[rows, cols], deterministic: blocks of
// moment_block_rows (two passes each) merge into their chunk in order, chunks merge in order.
template <class T>
void moments(const T* x, int64_t rows, int64_t cols, double* partial, double* mean, double* m2) {
  const int64_t chunks = row_chunks(rows);
  const int64_t block = moment_block_rows(cols);
#pragma omp parallel for schedule(static) if (rows * cols >= kMinParallelWork)
  for (int64_t k = 0; k < chunks; ++k) {
    double* __restrict chunk_mean = partial + 4 * k * cols;
    double* __restrict chunk_m2 = chunk_mean + cols;
    double* __restrict block_mean = chunk_m2 + cols;
    double* __restrict block_m2 = block_mean + cols;
    const int64_t r0 = k * kBatchNormRowChunk, r1 = std::min(rows, r0 + kBatchNormRowChunk);
    for (int64_t b0 = r0; b0 < r1; b0 += block) {
      const int64_t b1 = std::min(r1, b0 + block);
      std::fill(block_mean, block_mean + cols, 0.0);
      std::fill(block_m2, block_m2 + cols, 0.0);
      for (int64_t r = b0; r < b1; ++r) {
        const T* __restrict xr = x + r * cols;
        for (int64_t c = 0; c < cols; ++c) block_mean[c] += static_cast<double>(xr[c]);
      }
      const double inv_nb = 1.0 / static_cast<double>(b1 - b0);
      for (int64_t c = 0; c < cols; ++c) block_mean[c] *= inv_nb;
      for (int64_t r = b0; r < b1; ++r) {
        const T* __restrict xr = x + r * cols;
        for (int64_t c = 0; c < cols; ++c) {
          const double d = static_cast<double>(xr[c]) - block_mean[c];
          block_m2[c] += d * d;
        }
      }
      if (b0 == r0) {
        std::copy(block_mean, block_mean + cols, chunk_mean);
        std::copy(block_m2, block_m2 + cols, chunk_m2);
      } else {
        merge_moments(cols, static_cast<double>(b0 - r0), static_cast<double>(b1 - b0), chunk_mean,
                      chunk_m2, block_mean, block_m2);
      }
    }
  }
  std::fill(mean, mean + cols, 0.0);
  std::fill(m2, m2 + cols, 0.0);
  for (int64_t k = 0; k < chunks; ++k) {
    const int64_t r0 = k * kBatchNormRowChunk, r1 = std::min(rows, r0 + kBatchNormRowChunk);
    const double* chunk_mean = partial + 4 * k * cols;
    merge_moments(cols, static_cast<double>(r0), static_cast<double>(r1 - r0), mean, m2, chunk_mean,
                  chunk_mean + cols);
  }
}

}  // namespace

int64_t batch_norm_workspace_bytes(int64_t rows, int64_t channels) {
  return (4 * row_chunks(rows) + 6) * channels * static_cast<int64_t>(sizeof(double));
}

template <class T>
void batch_norm_forward_training(const T* x, const T* gamma, const T* beta, int64_t rows,
                                 int64_t channels, double epsilon, T* y, T* mean, T* variance,
                                 T* inv_std, void* workspace) {
  const Workspace ws(workspace, rows, channels);
  const int64_t cols = channels;
  double* m = ws.sums;
  double* m2 = ws.sums + cols;
  moments(x, rows, cols, ws.partial, m, m2);
  const double inv_rows = 1.0 / static_cast<double>(std::max<int64_t>(rows, 1));
  for (int64_t c = 0; c < cols; ++c) {
    mean[c] = static_cast<T>(m[c]);
    variance[c] = static_cast<T>(m2[c] * inv_rows);
  }
  T* scale = ws.slot<T>(0);
  T* shift = ws.slot<T>(1);
  for_each(cols, BatchNormCoefficients<T>{variance, gamma, beta, epsilon, inv_std, scale, shift});
  for_each_2d(rows, cols, BatchNormApply<T>{x, mean, scale, shift, cols, y});
}

template <class T>
void batch_norm_forward_inference(const T* x, const T* gamma, const T* beta, const T* mean,
                                  const T* variance, int64_t rows, int64_t channels, double epsilon,
                                  T* y, T* inv_std, void* workspace) {
  const Workspace ws(workspace, rows, channels);
  T* scale = ws.slot<T>(0);
  T* shift = ws.slot<T>(1);
  for_each(channels,
           BatchNormCoefficients<T>{variance, gamma, beta, epsilon, inv_std, scale, shift});
  for_each_2d(rows, channels, BatchNormApply<T>{x, mean, scale, shift, channels, y});
}

template <class T>
void batch_norm_backward(const T* x, const T* dy, const T* gamma, const T* mean, const T* inv_std,
                         int64_t rows, int64_t channels, bool training,
                         const BatchNormGradients<T>& grads, void* workspace) {
  const Workspace ws(workspace, rows, channels);
  const int64_t cols = channels;
  double* sum_dy = ws.sums;
  double* sum_dy_xmu = ws.sums + cols;
  if (training || grads.dgamma || grads.dbeta) {
    // One pass for both sums: [sum dy | sum dy * (x - mean)] per chunk.
    chunked_sums(rows, 2 * cols, ws.partial, ws.sums, [&](int64_t r0, int64_t r1, double* acc) {
      double* __restrict acc_dy = acc;
      double* __restrict acc_dy_xmu = acc + cols;
      for (int64_t r = r0; r < r1; ++r) {
        const T* __restrict xr = x + r * cols;
        const T* __restrict dyr = dy + r * cols;
        for (int64_t c = 0; c < cols; ++c) {
          const double g = static_cast<double>(dyr[c]);
          acc_dy[c] += g;
          acc_dy_xmu[c] += g * (static_cast<double>(xr[c]) - static_cast<double>(mean[c]));
        }
      }
    });
  }
  T* mean_dy = training ? ws.slot<T>(0) : nullptr;
  T* coef = training ? ws.slot<T>(1) : nullptr;
  T* scale = ws.slot<T>(2);
  for_each(cols, BatchNormBackwardCoefficients<T>{
                     sum_dy, sum_dy_xmu, inv_std, gamma, static_cast<double>(rows), mean_dy, coef,
                     scale, grads.dgamma, grads.dbeta, grads.add_dgamma, grads.add_dbeta});
  if (!grads.dx) return;
  if (training) {
    for_each_2d(rows, cols,
                BatchNormBackwardApply<T>{x, dy, mean, mean_dy, coef, scale, cols, grads.dx});
  } else {
    for_each_2d(rows, cols, BatchNormBackwardFrozen<T>{dy, scale, cols, grads.dx});
  }
}

template <class T>
void batch_norm_update_moving(const T* batch_mean, const T* batch_variance, int64_t rows,
                              int64_t channels, double decay, double decay_product,
                              T* mean_accumulator, T* variance_accumulator, T* corrected_mean,
                              T* corrected_variance) {
  const double n = static_cast<double>(rows);
  for_each(channels,
           BatchNormMovingAverage<T>{batch_mean, batch_variance, decay, n / (n - 1),
                                     1 / (1 - decay_product), mean_accumulator,
                                     variance_accumulator, corrected_mean, corrected_variance});
}

template <class T>
void batch_norm_correct_moving(const T* mean_accumulator, const T* variance_accumulator,
                               int64_t channels, double decay_product, T* corrected_mean,
                               T* corrected_variance) {
  for_each(channels,
           BatchNormCorrect<T>{mean_accumulator, variance_accumulator, 1 / (1 - decay_product),
                               corrected_mean, corrected_variance});
}

#define RETHINK_INSTANTIATE(T)                                                                    \
  template void batch_norm_forward_training<T>(const T*, const T*, const T*, int64_t, int64_t,    \
                                               double, T*, T*, T*, T*, void*);                    \
  template void batch_norm_forward_inference<T>(const T*, const T*, const T*, const T*, const T*, \
                                                int64_t, int64_t, double, T*, T*, void*);         \
  template void batch_norm_backward<T>(const T*, const T*, const T*, const T*, const T*, int64_t, \
                                       int64_t, bool, const BatchNormGradients<T>&, void*);       \
  template void batch_norm_update_moving<T>(const T*, const T*, int64_t, int64_t, double, double, \
                                            T*, T*, T*, T*);                                      \
  template void batch_norm_correct_moving<T>(const T*, const T*, int64_t, double, T*, T*);
RETHINK_INSTANTIATE(float)
RETHINK_INSTANTIATE(double)
#undef RETHINK_INSTANTIATE

}  // namespace rethink::kernels::cpu
