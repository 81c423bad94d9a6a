#include "runtime/ops/batch_norm.h"

#include <algorithm>
#include <cmath>

#include "kernels/batch_norm.h"
#include "kernels/cudnn/batch_norm.h"
#include "runtime/autograd.h"
#include "runtime/compute_settings.h"
#include "runtime/ops/op_checks.h"
#include "runtime/workspace.h"

namespace rethink::ops {
namespace {

void* workspace_for(int64_t rows, int64_t channels) {
  return cpu_workspace(
      static_cast<size_t>(kernels::cpu::batch_norm_workspace_bytes(rows, channels)));
}

// Ours everywhere; cuDNN for float32 on a GPU when the run asks for the cuDNN engine (as
// conv2d chooses).
ConvEngine engine_for(const Tensor& x) {
  return x.device().is_cuda() && x.dtype() == DType::kFloat32 ? compute_settings().conv_engine
                                                              : ConvEngine::kOurs;
}

Tensor device_workspace(const Tensor& x, int64_t rows, int64_t channels, ConvEngine engine) {
#if RETHINK_WITH_CUDA
  return device_scratch(x.device(),
                        engine == ConvEngine::kCudnn
                            ? kernels::cudnn::batch_norm_workspace_bytes(rows, channels)
                            : kernels::cuda::batch_norm_workspace_bytes(rows, channels));
#else
  (void)x, (void)rows, (void)channels, (void)engine;
  throw_built_without_cuda();
#endif
}

// Keeps the mean and inv_std the forward normalized with ([2, C]), not the statistics object:
// in eval mode the moving averages may change before the backward runs.
class BatchNormBackward final : public Node {
 public:
  BatchNormBackward(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor saved,
                    bool training, ConvEngine engine, double epsilon)
      : Node({x, gamma, beta}),
        saved_(std::move(saved)),
        training_(training),
        engine_(engine),
        epsilon_(epsilon) {}
  std::string_view name() const override { return "batch_norm"; }

  std::vector<Tensor> backward(const Tensor& dy, const std::vector<Tensor>& into) override {
    const Tensor& x = inputs()[0];
    const Tensor& gamma = inputs()[1];
    const Tensor& beta = inputs()[2];
    const int64_t channels = x.size(-1);
    const int64_t rows = x.numel() / channels;
    // cuDNN has only the training backward, and always writes dx.
    const bool cudnn = engine_ == ConvEngine::kCudnn && training_;
    Tensor dx, dgamma, dbeta;
    if (x.requires_grad() || cudnn) dx = Tensor::empty(x.shape(), x.dtype(), x.device());
    dispatch_floating(x.dtype(), "batch_norm backward", [&]<class T>() {
      kernels::cpu::BatchNormGradients<T> grads;
      if (dx.defined()) grads.dx = dx.data<T>();
      if (gamma.defined() && gamma.requires_grad()) {
        const bool add = into[1].defined();
        if (!add) dgamma = Tensor::empty(gamma.shape(), gamma.dtype(), x.device());
        grads.dgamma = (add ? into[1] : dgamma).data<T>();
        grads.add_dgamma = add;
      }
      if (beta.defined() && beta.requires_grad()) {
        const bool add = into[2].defined();
        if (!add) dbeta = Tensor::empty(beta.shape(), beta.dtype(), x.device());
        grads.dbeta = (add ? into[2] : dbeta).data<T>();
        grads.add_dbeta = add;
      }
      const T* g = gamma.defined() ? gamma.data<T>() : nullptr;
      const T* saved = saved_.data<T>();
      if (x.device().is_cpu()) {
        kernels::cpu::batch_norm_backward<T>(x.data<T>(), dy.data<T>(), g, saved, saved + channels,
                                             rows, channels, training_, grads,
                                             workspace_for(rows, channels));
      } else if constexpr (kBuiltWithCuda) {
        const Tensor ws =
            device_workspace(x, rows, channels, cudnn ? ConvEngine::kCudnn : ConvEngine::kOurs);
        if (cudnn) {
          kernels::cudnn::batch_norm_backward_training<T>(
              cudnn_context(x.device()), x.data<T>(), dy.data<T>(), g, saved, saved + channels,
              rows, channels, epsilon_, grads, ws.raw_data());
        } else {
          kernels::cuda::batch_norm_backward<T>(x.data<T>(), dy.data<T>(), g, saved,
                                                saved + channels, rows, channels, training_, grads,
                                                ws.raw_data(), stream_of(x));
        }
      }
    });
    if (!x.requires_grad()) dx = Tensor();
    return {dx, dgamma, dbeta};
  }

 private:
  Tensor saved_;
  bool training_;
  ConvEngine engine_;
  double epsilon_;
};

void check_parameter(const Tensor& p, const Tensor& x, int64_t channels, std::string_view what) {
  if (!p.defined()) return;
  RT_CHECK(p.rank() == 1 && p.size(0) == channels,
           "batch_norm: {} must be [{}] (one per channel of input {}), got {}", what, channels,
           x.shape().to_string(), p.shape().to_string());
  RT_CHECK(p.dtype() == x.dtype(), "batch_norm: {} {} and input {} differ in dtype", what,
           p.describe(), x.describe());
  check_same_device(x, p, "batch_norm");
}

}  // namespace

BatchNormStatistics::BatchNormStatistics(int64_t channels, DType dtype, Device device)
    : channels_(channels) {
  RT_CHECK(channels >= 1, "BatchNormStatistics: needs at least one channel, got {}", channels);
  RT_CHECK(is_floating(dtype), "BatchNormStatistics: dtype must be float32 or float64, got {}",
           dtype_name(dtype));
  mean_accumulator_ = Tensor::zeros(Shape{channels}, dtype, device);
  variance_accumulator_ = Tensor::zeros(Shape{channels}, dtype, device);
  corrected_mean_ = Tensor::zeros(Shape{channels}, dtype, device);
  corrected_variance_ = Tensor::full(Shape{channels}, 1.0, dtype, device);
}

void BatchNormStatistics::update(const Tensor& batch_mean, const Tensor& batch_variance,
                                 int64_t count, double decay) {
  check_shape(batch_mean, Shape{channels_}, "BatchNormStatistics::update batch mean");
  check_shape(batch_variance, Shape{channels_}, "BatchNormStatistics::update batch variance");
  RT_CHECK(batch_mean.dtype() == dtype() && batch_variance.dtype() == dtype(),
           "BatchNormStatistics::update: batch statistics {} and {} must be {} like the "
           "statistics",
           batch_mean.describe(), batch_variance.describe(), dtype_name(dtype()));
  check_same_device(batch_mean, mean_accumulator_, "BatchNormStatistics::update");
  check_same_device(batch_variance, mean_accumulator_, "BatchNormStatistics::update");
  RT_CHECK(count >= 2,
           "BatchNormStatistics::update: an unbiased variance needs at least 2 values per "
           "channel, got {}",
           count);
  RT_CHECK(decay >= 0 && decay < 1, "BatchNormStatistics::update: decay must be in [0, 1), got {}",
           decay);
  const double product = decay_product_ * decay;
  dispatch_floating(dtype(), "BatchNormStatistics::update", [&]<class T>() {
    if (device().is_cpu()) {
      kernels::cpu::batch_norm_update_moving<T>(
          batch_mean.data<T>(), batch_variance.data<T>(), count, channels_, decay, product,
          mean_accumulator_.data<T>(), variance_accumulator_.data<T>(), corrected_mean_.data<T>(),
          corrected_variance_.data<T>());
    } else if constexpr (kBuiltWithCuda) {
      kernels::cuda::batch_norm_update_moving<T>(
          batch_mean.data<T>(), batch_variance.data<T>(), count, channels_, decay, product,
          mean_accumulator_.data<T>(), variance_accumulator_.data<T>(), corrected_mean_.data<T>(),
          corrected_variance_.data<T>(), stream_of(mean_accumulator_));
    }
  });
  decay_product_ = product;
  ++updates_;
}

void BatchNormStatistics::restore(const Tensor& mean_accumulator,
                                  const Tensor& variance_accumulator, int64_t updates,
                                  double decay_product) {
  check_shape(mean_accumulator, Shape{channels_}, "BatchNormStatistics::restore mean");
  check_shape(variance_accumulator, Shape{channels_}, "BatchNormStatistics::restore variance");
  RT_CHECK(updates >= 0 && decay_product >= 0 && decay_product <= 1 &&
               (updates == 0) == (decay_product == 1),
           "BatchNormStatistics::restore: {} updates and decay product {} do not fit together "
           "(the product is 1 exactly when there were no updates)",
           updates, decay_product);
  mean_accumulator_.copy_(mean_accumulator);
  variance_accumulator_.copy_(variance_accumulator);
  updates_ = updates;
  decay_product_ = decay_product;
  refresh_corrected();
}

void BatchNormStatistics::restore_corrected(const Tensor& mean, const Tensor& variance,
                                            int64_t updates, double decay) {
  require_cpu(mean_accumulator_, "BatchNormStatistics::restore_corrected");
  check_shape(mean, Shape{channels_}, "BatchNormStatistics::restore_corrected mean");
  check_shape(variance, Shape{channels_}, "BatchNormStatistics::restore_corrected variance");
  RT_CHECK(updates > 0 && decay >= 0 && decay < 1,
           "BatchNormStatistics::restore_corrected: needs updates > 0 and decay in [0, 1), got "
           "{} and {}",
           updates, decay);
  const double product = std::pow(decay, static_cast<double>(updates));
  corrected_mean_.copy_(mean);
  corrected_variance_.copy_(variance);
  const double weight = 1 - product;
  dispatch_floating(dtype(), "BatchNormStatistics::restore_corrected", [&]<class T>() {
    const T* cm = corrected_mean_.data<T>();
    const T* cv = corrected_variance_.data<T>();
    T* m = mean_accumulator_.data<T>();
    T* v = variance_accumulator_.data<T>();
    for (int64_t c = 0; c < channels_; ++c) {
      m[c] = static_cast<T>(static_cast<double>(cm[c]) * weight);
      v[c] = static_cast<T>(static_cast<double>(cv[c]) * weight);
    }
  });
  updates_ = updates;
  decay_product_ = product;
}

void BatchNormStatistics::reset() {
  mean_accumulator_.zero_();
  variance_accumulator_.zero_();
  updates_ = 0;
  decay_product_ = 1;
  refresh_corrected();
}

void BatchNormStatistics::to(Device device) {
  for (const Tensor* t :
       {&mean_accumulator_, &variance_accumulator_, &corrected_mean_, &corrected_variance_}) {
    t->set_data(t->to(device));  // every holder of these handles sees the new memory
  }
}

void BatchNormStatistics::refresh_corrected() {
  if (updates_ == 0) {
    corrected_mean_.zero_();
    corrected_variance_.fill_(1.0);
    return;
  }
  dispatch_floating(dtype(), "BatchNormStatistics", [&]<class T>() {
    if (device().is_cpu()) {
      kernels::cpu::batch_norm_correct_moving<T>(
          mean_accumulator_.data<T>(), variance_accumulator_.data<T>(), channels_, decay_product_,
          corrected_mean_.data<T>(), corrected_variance_.data<T>());
    } else if constexpr (kBuiltWithCuda) {
      kernels::cuda::batch_norm_correct_moving<T>(
          mean_accumulator_.data<T>(), variance_accumulator_.data<T>(), channels_, decay_product_,
          corrected_mean_.data<T>(), corrected_variance_.data<T>(), stream_of(mean_accumulator_));
    }
  });
}

Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                  BatchNormStatistics& stats, bool training, const BatchNormOptions& options) {
  RT_CHECK(x.rank() == 2 || x.rank() == 4,
           "batch_norm: input must be NHWC [N, H, W, C] or [N, C] (channels last), got {}",
           x.describe());
  const int64_t channels = x.size(-1);
  RT_CHECK(channels == stats.channels(),
           "batch_norm: input {} has {} channels (its last dimension: NHWC) but the statistics "
           "hold {}",
           x.shape().to_string(), channels, stats.channels());
  RT_CHECK(x.dtype() == stats.dtype(),
           "batch_norm: input {} and the statistics ({}) differ in dtype; make the statistics "
           "with the input's dtype",
           x.describe(), dtype_name(stats.dtype()));
  check_same_device(x, stats.mean_accumulator(), "batch_norm statistics");
  check_parameter(gamma, x, channels, "gamma");
  check_parameter(beta, x, channels, "beta");
  RT_CHECK(options.epsilon > 0 && std::isfinite(options.epsilon),
           "batch_norm: epsilon must be positive and finite, got {}", options.epsilon);
  RT_CHECK(options.decay >= 0 && options.decay < 1, "batch_norm: decay must be in [0, 1), got {}",
           options.decay);
  const int64_t rows = x.numel() / channels;
  RT_CHECK(!training || rows >= 2,
           "batch_norm: training needs at least 2 values per channel for the batch variance, "
           "but input {} has {} (N*H*W); use eval mode or a larger batch",
           x.shape().to_string(), rows);

  if (engine_for(x) == ConvEngine::kCudnn) {
    RT_CHECK(options.epsilon >= 1e-5,
             "batch_norm: cuDNN needs epsilon >= 1e-5 (CUDNN_BN_MIN_EPSILON), got {}: use "
             "--conv-engine ours",
             options.epsilon);
  }

  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  // Rows: the mean and inv_std normalized with (kept for the backward), then in training the
  // biased batch variance for the moving averages.
  Tensor saved = Tensor::empty(Shape{training ? 3 : 2, channels}, x.dtype(), x.device());
  if (!training) saved.flat_view(0, Shape{channels}).copy_(stats.corrected_mean());
  const ConvEngine engine = engine_for(x);
  dispatch_floating(x.dtype(), "batch_norm", [&]<class T>() {
    const T* g = gamma.defined() ? gamma.data<T>() : nullptr;
    const T* b = beta.defined() ? beta.data<T>() : nullptr;
    T* s = saved.data<T>();
    const T* mean = stats.corrected_mean().data<T>();
    const T* variance = stats.corrected_variance().data<T>();
    const double eps = options.epsilon;
    if (x.device().is_cpu()) {
      void* ws = workspace_for(rows, channels);
      if (training) {
        kernels::cpu::batch_norm_forward_training<T>(x.data<T>(), g, b, rows, channels, eps,
                                                     y.data<T>(), s, s + 2 * channels, s + channels,
                                                     ws);
      } else {
        kernels::cpu::batch_norm_forward_inference<T>(x.data<T>(), g, b, mean, variance, rows,
                                                      channels, eps, y.data<T>(), s + channels, ws);
      }
    } else if constexpr (kBuiltWithCuda) {
      const Tensor ws = device_workspace(x, rows, channels, engine);
      if (engine == ConvEngine::kCudnn) {
        const kernels::cuda::Context ctx = cudnn_context(x.device());
        if (training) {
          kernels::cudnn::batch_norm_forward_training<T>(ctx, x.data<T>(), g, b, rows, channels,
                                                         eps, y.data<T>(), s, s + 2 * channels,
                                                         s + channels, ws.raw_data());
        } else {
          kernels::cudnn::batch_norm_forward_inference<T>(ctx, x.data<T>(), g, b, mean, variance,
                                                          rows, channels, eps, y.data<T>(),
                                                          s + channels, ws.raw_data());
        }
      } else if (training) {
        kernels::cuda::batch_norm_forward_training<T>(x.data<T>(), g, b, rows, channels, eps,
                                                      y.data<T>(), s, s + 2 * channels,
                                                      s + channels, ws.raw_data(), stream_of(x));
      } else {
        kernels::cuda::batch_norm_forward_inference<T>(x.data<T>(), g, b, mean, variance, rows,
                                                       channels, eps, y.data<T>(), s + channels,
                                                       ws.raw_data(), stream_of(x));
      }
    }
  });
  if (training) {
    stats.update(saved.flat_view(0, Shape{channels}),
                 saved.flat_view(2 * channels, Shape{channels}), rows, options.decay);
  }
  if (needs_grad(x, gamma, beta)) {
    record(y, std::make_shared<BatchNormBackward>(x, gamma, beta, saved, training, engine,
                                                  options.epsilon));
  }
  return y;
}

}  // namespace rethink::ops
