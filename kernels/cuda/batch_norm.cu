#include "kernels/batch_norm.h"
#include "kernels/cuda/for_each.cuh"
#include "kernels/cuda/reduce.cuh"

namespace rethink::kernels::cuda {
namespace {

// The workspace: the column reductions' partial sums (room for two values per element), two
// rows of per-channel double totals, and four per-channel slots of T (each double-sized).
template <class T>
struct Workspace {
  double* partial;
  double* totals;  // [2][channels]
  double* slots;   // [4][channels]
  int64_t channels;

  Workspace(void* base, int64_t rows, int64_t c)
      : partial(static_cast<double*>(base)),
        totals(partial + column_reduce_workspace(rows, c, 2)),
        slots(totals + 2 * c),
        channels(c) {}
  T* slot(int k) const { return reinterpret_cast<T*>(slots + k * channels); }
};

template <class T>
struct XValue {
  const T* x;
  int64_t channels;
  RT_HD void operator()(int64_t r, int64_t c, double* v) const { v[0] = x[r * channels + c]; }
};

// The batch mean, kept in double for the deviation pass and rounded into `mean`.
template <class T>
struct StoreMean {
  double rows;
  double* mean_exact;
  T* mean;
  RT_HD void operator()(int64_t c, const double* total) const {
    const double m = total[0] / rows;
    mean_exact[c] = m;
    mean[c] = static_cast<T>(m);
  }
};

template <class T>
struct SquaredDeviation {
  const T* x;
  const double* mean;
  int64_t channels;
  RT_HD void operator()(int64_t r, int64_t c, double* v) const {
    const double d = static_cast<double>(x[r * channels + c]) - mean[c];
    v[0] = d * d;
  }
};

// The biased variance, then the channel's coefficients (BatchNormCoefficients, shared).
template <class T>
struct StoreVariance {
  double inv_rows;
  T* variance;
  BatchNormCoefficients<T> coefficients;
  RT_HD void operator()(int64_t c, const double* total) const {
    variance[c] = static_cast<T>(total[0] * inv_rows);
    coefficients(c);
  }
};

// [dy, dy * (x - mean)] per element, as the CPU sums them.
template <class T>
struct BackwardValues {
  const T* x;
  const T* dy;
  const T* mean;
  int64_t channels;
  RT_HD void operator()(int64_t r, int64_t c, double* v) const {
    const int64_t i = r * channels + c;
    const double g = static_cast<double>(dy[i]);
    v[0] = g;
    v[1] = g * (static_cast<double>(x[i]) - static_cast<double>(mean[c]));
  }
};

template <class T>
struct StoreBackwardSums {
  double* sum_dy;
  double* sum_dy_xmu;
  BatchNormBackwardCoefficients<T> coefficients;
  RT_HD void operator()(int64_t c, const double* total) const {
    sum_dy[c] = total[0];
    sum_dy_xmu[c] = total[1];
    coefficients(c);
  }
};

}  // namespace

int64_t batch_norm_workspace_bytes(int64_t rows, int64_t channels) {
  return (column_reduce_workspace(rows, channels, 2) + 6 * channels) *
         static_cast<int64_t>(sizeof(double));
}

template <class T>
void batch_norm_forward_training(const T* x, const T* gamma, const T* beta, int64_t rows,
                                 int64_t channels, double epsilon, T* y, T* mean, T* variance,
                                 T* inv_std, void* workspace, Stream stream) {
  const Workspace<T> ws(workspace, rows, channels);
  double* mean_exact = ws.totals;
  T* scale = ws.slot(0);
  T* shift = ws.slot(1);
  const double n = static_cast<double>(rows > 0 ? rows : 1);
  column_reduce<1>(rows, channels, XValue<T>{x, channels}, StoreMean<T>{n, mean_exact, mean},
                   ws.partial, stream);
  const BatchNormCoefficients<T> coefficients{variance, gamma, beta, epsilon,
                                              inv_std,  scale, shift};
  column_reduce<1>(rows, channels, SquaredDeviation<T>{x, mean_exact, channels},
                   StoreVariance<T>{1 / n, variance, coefficients}, ws.partial, stream);
  for_each(rows * channels, BatchNormApply<T>{x, mean, scale, shift, channels, y}, stream);
}

template <class T>
void batch_norm_forward_inference(const T* x, const T* gamma, const T* beta, const T* mean,
                                  const T* variance, int64_t rows, int64_t channels, double epsilon,
                                  T* y, T* inv_std, void* workspace, Stream stream) {
  const Workspace<T> ws(workspace, rows, channels);
  T* scale = ws.slot(0);
  T* shift = ws.slot(1);
  for_each(channels,
           BatchNormCoefficients<T>{variance, gamma, beta, epsilon, inv_std, scale, shift}, stream);
  for_each(rows * channels, BatchNormApply<T>{x, mean, scale, shift, channels, y}, stream);
}

template <class T>
void batch_norm_backward(const T* x, const T* dy, const T* gamma, const T* mean, const T* inv_std,
                         int64_t rows, int64_t channels, bool training,
                         const cpu::BatchNormGradients<T>& grads, void* workspace, Stream stream) {
  const Workspace<T> ws(workspace, rows, channels);
  double* sum_dy = ws.totals;
  double* sum_dy_xmu = ws.totals + channels;
  T* mean_dy = training ? ws.slot(0) : nullptr;
  T* coef = training ? ws.slot(1) : nullptr;
  T* scale = ws.slot(2);
  const BatchNormBackwardCoefficients<T> coefficients{
      sum_dy, sum_dy_xmu, inv_std,      gamma,       static_cast<double>(rows), mean_dy,
      coef,   scale,      grads.dgamma, grads.dbeta, grads.add_dgamma,          grads.add_dbeta};
  if (training || grads.dgamma || grads.dbeta) {
    column_reduce<2>(rows, channels, BackwardValues<T>{x, dy, mean, channels},
                     StoreBackwardSums<T>{sum_dy, sum_dy_xmu, coefficients}, ws.partial, stream);
  } else {
    for_each(channels, coefficients, stream);
  }
  if (!grads.dx) return;
  if (training) {
    for_each(rows * channels,
             BatchNormBackwardApply<T>{x, dy, mean, mean_dy, coef, scale, channels, grads.dx},
             stream);
  } else {
    for_each(rows * channels, BatchNormBackwardFrozen<T>{dy, scale, channels, grads.dx}, stream);
  }
}

template <class T>
void batch_norm_update_moving(const T* batch_mean, const T* batch_variance, int64_t rows,
                              int64_t channels, double decay, double decay_product,
                              T* mean_accumulator, T* variance_accumulator, T* corrected_mean,
                              T* corrected_variance, Stream stream) {
  const double n = static_cast<double>(rows);
  for_each(channels,
           BatchNormMovingAverage<T>{batch_mean, batch_variance, decay, n / (n - 1),
                                     1 / (1 - decay_product), mean_accumulator,
                                     variance_accumulator, corrected_mean, corrected_variance},
           stream);
}

template <class T>
void batch_norm_correct_moving(const T* mean_accumulator, const T* variance_accumulator,
                               int64_t channels, double decay_product, T* corrected_mean,
                               T* corrected_variance, Stream stream) {
  for_each(channels,
           BatchNormCorrect<T>{mean_accumulator, variance_accumulator, 1 / (1 - decay_product),
                               corrected_mean, corrected_variance},
           stream);
}

#define RETHINK_INSTANTIATE(T)                                                                    \
  template void batch_norm_forward_training<T>(const T*, const T*, const T*, int64_t, int64_t,    \
                                               double, T*, T*, T*, T*, void*, Stream);            \
  template void batch_norm_forward_inference<T>(const T*, const T*, const T*, const T*, const T*, \
                                                int64_t, int64_t, double, T*, T*, void*, Stream); \
  template void batch_norm_backward<T>(const T*, const T*, const T*, const T*, const T*, int64_t, \
                                       int64_t, bool, const cpu::BatchNormGradients<T>&, void*,   \
                                       Stream);                                                   \
  template void batch_norm_update_moving<T>(const T*, const T*, int64_t, int64_t, double, double, \
                                            T*, T*, T*, T*, Stream);                              \
  template void batch_norm_correct_moving<T>(const T*, const T*, int64_t, double, T*, T*, Stream);
RETHINK_INSTANTIATE(float)
RETHINK_INSTANTIATE(double)
#undef RETHINK_INSTANTIATE

}  // namespace rethink::kernels::cuda
