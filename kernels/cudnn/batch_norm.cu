#include "kernels/cuda/for_each.cuh"
#include "kernels/cudnn/batch_norm.h"
#include "kernels/cudnn/check.h"
#include "kernels/fill.h"
#include "kernels/launch_counter.h"

namespace rethink::kernels::cudnn {
namespace {

template <class T>
cudnnDataType_t data_type() {
  return sizeof(T) == 8 ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT;
}

// x as cuDNN sees it: [rows, channels] is [N = rows, C, 1, 1], the same bytes in NCHW and NHWC
// (H = W = 1), so the widely supported NCHW descriptor describes it; spatial mode normalizes
// per channel over N * H * W. And the per-channel parameter descriptor derived from it.
template <class T>
struct Descriptors {
  cudnnTensorDescriptor_t x = nullptr, param = nullptr;
  Descriptors(int64_t rows, int64_t channels) {
    RT_CUDNN_CHECK(cudnnCreateTensorDescriptor(&x));
    RT_CUDNN_CHECK(cudnnCreateTensorDescriptor(&param));
    RT_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, data_type<T>(),
                                              static_cast<int>(rows), static_cast<int>(channels), 1,
                                              1));
    RT_CUDNN_CHECK(cudnnDeriveBNTensorDescriptor(param, x, CUDNN_BATCHNORM_SPATIAL));
  }
  ~Descriptors() {
    cudnnDestroyTensorDescriptor(param);
    cudnnDestroyTensorDescriptor(x);
  }
  Descriptors(const Descriptors&) = delete;
  Descriptors& operator=(const Descriptors&) = delete;
};

// Per-channel slots of the workspace (each `channels` doubles, room for a T array).
template <class T>
T* slot(void* workspace, int64_t channels, int k) {
  return reinterpret_cast<T*>(static_cast<double*>(workspace) + k * channels);
}

// The scale and shift cuDNN always applies: gamma and beta, or ones and zeros in the workspace.
template <class T>
struct Affine {
  const T* scale;
  const T* shift;
};

template <class T>
Affine<T> affine(const cuda::Context& ctx, const T* gamma, const T* beta, int64_t channels,
                 void* workspace) {
  T* ones = slot<T>(workspace, channels, 0);
  T* zeros = slot<T>(workspace, channels, 1);
  if (!gamma) cuda::fill(T(1), ones, channels, ctx.stream);
  if (!beta) cuda::fill(T(0), zeros, channels, ctx.stream);
  return {gamma ? gamma : ones, beta ? beta : zeros};
}

// The biased batch variance from cuDNN's saved 1 / sqrt(var + epsilon), in double.
template <class T>
struct VarianceFromInvStd {
  const T* inv_std;
  double epsilon;
  T* variance;
  RT_HD void operator()(int64_t c) const {
    const double s = static_cast<double>(inv_std[c]);
    const double v = 1.0 / (s * s) - epsilon;
    variance[c] = static_cast<T>(v > 0 ? v : 0);
  }
};

template <class T>
struct StoreOrAdd {
  const T* from;
  T* to;
  bool add;
  RT_HD void operator()(int64_t c) const { to[c] = add ? to[c] + from[c] : from[c]; }
};

void bind(const cuda::Context& ctx) {
  RT_CUDNN_CHECK(cudnnSetStream(ctx.dnn, reinterpret_cast<cudaStream_t>(ctx.stream)));
}

}  // namespace

int64_t batch_norm_workspace_bytes(int64_t rows, int64_t channels) {
  (void)rows;
  return 6 * channels * static_cast<int64_t>(sizeof(double));
}

template <class T>
void batch_norm_forward_training(const cuda::Context& ctx, const T* x, const T* gamma,
                                 const T* beta, int64_t rows, int64_t channels, double epsilon,
                                 T* y, T* mean, T* variance, T* inv_std, void* workspace) {
  bind(ctx);
  const Descriptors<T> d(rows, channels);
  const Affine<T> a = affine(ctx, gamma, beta, channels, workspace);
  const T one = 1, zero = 0;
  // No running averages here (null): ours follow TensorFlow's decay with a bias correction.
  RT_CUDNN_CHECK(cudnnBatchNormalizationForwardTraining(
      ctx.dnn, CUDNN_BATCHNORM_SPATIAL, &one, &zero, d.x, x, d.x, y, d.param, a.scale, a.shift, 0.0,
      nullptr, nullptr, epsilon, mean, inv_std));
  count_device_launch();
  cuda::for_each(channels, VarianceFromInvStd<T>{inv_std, epsilon, variance}, ctx.stream);
}

template <class T>
void batch_norm_forward_inference(const cuda::Context& ctx, const T* x, const T* gamma,
                                  const T* beta, const T* mean, const T* variance, int64_t rows,
                                  int64_t channels, double epsilon, T* y, T* inv_std,
                                  void* workspace) {
  bind(ctx);
  const Descriptors<T> d(rows, channels);
  const Affine<T> a = affine(ctx, gamma, beta, channels, workspace);
  const T one = 1, zero = 0;
  RT_CUDNN_CHECK(cudnnBatchNormalizationForwardInference(ctx.dnn, CUDNN_BATCHNORM_SPATIAL, &one,
                                                         &zero, d.x, x, d.x, y, d.param, a.scale,
                                                         a.shift, mean, variance, epsilon));
  count_device_launch();
  // The backward (ours, frozen statistics) needs inv_std.
  cuda::for_each(
      channels,
      BatchNormCoefficients<T>{variance, gamma, beta, epsilon, inv_std,
                               slot<T>(workspace, channels, 2), slot<T>(workspace, channels, 3)},
      ctx.stream);
}

template <class T>
void batch_norm_backward_training(const cuda::Context& ctx, const T* x, const T* dy, const T* gamma,
                                  const T* mean, const T* inv_std, int64_t rows, int64_t channels,
                                  double epsilon, const cpu::BatchNormGradients<T>& grads,
                                  void* workspace) {
  bind(ctx);
  const Descriptors<T> d(rows, channels);
  const Affine<T> a = affine(ctx, gamma, static_cast<const T*>(nullptr), channels, workspace);
  T* dscale = slot<T>(workspace, channels, 2);
  T* dshift = slot<T>(workspace, channels, 3);
  const T one = 1, zero = 0;
  RT_CUDNN_CHECK(cudnnBatchNormalizationBackward(
      ctx.dnn, CUDNN_BATCHNORM_SPATIAL, &one, &zero, &one, &zero, d.x, x, d.x, dy, d.x, grads.dx,
      d.param, a.scale, dscale, dshift, epsilon, mean, inv_std));
  count_device_launch();
  if (grads.dgamma) {
    cuda::for_each(channels, StoreOrAdd<T>{dscale, grads.dgamma, grads.add_dgamma}, ctx.stream);
  }
  if (grads.dbeta) {
    cuda::for_each(channels, StoreOrAdd<T>{dshift, grads.dbeta, grads.add_dbeta}, ctx.stream);
  }
}

#define RETHINK_INSTANTIATE(T)                                                                     \
  template void batch_norm_forward_training<T>(const cuda::Context&, const T*, const T*, const T*, \
                                               int64_t, int64_t, double, T*, T*, T*, T*, void*);   \
  template void batch_norm_forward_inference<T>(const cuda::Context&, const T*, const T*,          \
                                                const T*, const T*, const T*, int64_t, int64_t,    \
                                                double, T*, T*, void*);                            \
  template void batch_norm_backward_training<T>(const cuda::Context&, const T*, const T*,          \
                                                const T*, const T*, const T*, int64_t, int64_t,    \
                                                double, const cpu::BatchNormGradients<T>&, void*);
RETHINK_INSTANTIATE(float)
RETHINK_INSTANTIATE(double)
#undef RETHINK_INSTANTIATE

}  // namespace rethink::kernels::cudnn
