#include "models/layers/batch_norm2d.h"

namespace rethink {
namespace {

const Tensor* find(const std::map<std::string, Tensor>& values, const std::string& name) {
  const auto it = values.find(name);
  return it == values.end() ? nullptr : &it->second;
}

int64_t count_from(const Tensor& t) {
  RT_CHECK(t.dtype() == DType::kInt32 && t.numel() == 1,
           "num_batches_tracked must be one int32 element, got {}", t.describe());
  const int32_t n = t.to_vector<int32_t>()[0];
  RT_CHECK(n >= 0, "num_batches_tracked must be >= 0, got {}", n);
  return n;
}

}  // namespace

BatchNorm2d::BatchNorm2d(int64_t channels, BatchNormAffine affine,
                         const ops::BatchNormOptions& options)
    : affine_(affine), options_(options), stats_(channels) {
  RT_CHECK(options.epsilon > 0, "BatchNorm2d({}): epsilon must be positive, got {}", channels,
           options.epsilon);
  RT_CHECK(options.decay >= 0 && options.decay < 1,
           "BatchNorm2d({}): decay must be in [0, 1), got {} (PyTorch's momentum is 1 - decay)",
           channels, options.decay);
  if (affine == BatchNormAffine::kGammaBeta) {
    gamma_ = add_parameter("weight", Tensor::full(Shape{channels}, 1.0), /*decay=*/false);
  }
  if (affine != BatchNormAffine::kNone) {
    beta_ = add_parameter("bias", Tensor::zeros(Shape{channels}), /*decay=*/false);
  }
}

Tensor BatchNorm2d::forward(const Tensor& x) {
  return run_layer(x,
                   [&] { return ops::batch_norm(x, gamma_, beta_, stats_, training(), options_); });
}

void BatchNorm2d::init_parameters(Initializer& init) {
  (void)init;
  if (gamma_.defined()) gamma_.fill_(1.0);
  if (beta_.defined()) beta_.zero_();
  stats_.reset();
}

void BatchNorm2d::own_buffers(std::vector<NamedBuffer>& out) const {
  const int64_t updates = stats_.updates();
  RT_CHECK(updates <= INT32_MAX, "{}: {} updates do not fit num_batches_tracked's int32",
           describe_layer(), updates);
  out.push_back({"running_mean", stats_.corrected_mean(), BufferKind::kExported});
  out.push_back({"running_var", stats_.corrected_variance(), BufferKind::kExported});
  out.push_back({"num_batches_tracked",
                 Tensor::from_vector(Shape{}, std::vector<int32_t>{static_cast<int32_t>(updates)}),
                 BufferKind::kExported});
  out.push_back({"mean_accumulator", stats_.mean_accumulator(), BufferKind::kResume});
  out.push_back({"variance_accumulator", stats_.variance_accumulator(), BufferKind::kResume});
  out.push_back({"decay_product",
                 Tensor::from_vector(Shape{}, std::vector<double>{stats_.decay_product()}),
                 BufferKind::kResume});
}

void BatchNorm2d::load_own_buffers(const std::map<std::string, Tensor>& values) {
  const Tensor* mean_acc = find(values, "mean_accumulator");
  const Tensor* var_acc = find(values, "variance_accumulator");
  const Tensor* product = find(values, "decay_product");
  const Tensor* count = find(values, "num_batches_tracked");
  const auto check_vector = [&](const Tensor& t, std::string_view name) {
    RT_CHECK(t.dtype() == stats_.dtype() && t.shape() == Shape{channels()},
             "{} must be {}[{}] like the layer's statistics, got {}", name,
             dtype_name(stats_.dtype()), channels(), t.describe());
  };

  if (mean_acc != nullptr || var_acc != nullptr || product != nullptr) {
    RT_CHECK(mean_acc != nullptr && var_acc != nullptr && product != nullptr && count != nullptr,
             "the exact state needs mean_accumulator, variance_accumulator, decay_product and "
             "num_batches_tracked together; got only some of them (or load running_mean and "
             "running_var alone)");
    check_vector(*mean_acc, "mean_accumulator");
    check_vector(*var_acc, "variance_accumulator");
    RT_CHECK(product->dtype() == DType::kFloat64 && product->numel() == 1,
             "decay_product must be one float64 element, got {}", product->describe());
    stats_.restore(*mean_acc, *var_acc, count_from(*count), product->to_vector<double>()[0]);
    return;
  }

  const Tensor* mean = find(values, "running_mean");
  const Tensor* var = find(values, "running_var");
  RT_CHECK(mean != nullptr && var != nullptr,
           "running_mean and running_var are both required (got {}{}), or the exact state "
           "(mean_accumulator, variance_accumulator, decay_product, num_batches_tracked)",
           mean != nullptr ? "running_mean" : "no running_mean",
           var != nullptr ? ", running_var" : ", no running_var");
  check_vector(*mean, "running_mean");
  check_vector(*var, "running_var");
  const int64_t updates = count != nullptr ? count_from(*count) : 0;
  if (updates > 0) {
    // Saved corrected after `updates` updates (by us or tools/torch_models.py): eval mode uses
    // them as they are, and training continues the correction where it stopped.
    stats_.restore_corrected(*mean, *var, updates, options_.decay);
    return;
  }
  // No count: statistics from elsewhere, taken as fully warmed up. A decay product of 0 makes
  // the correction the identity, so the accumulators ARE the running statistics; restore()
  // pairs it with a nonzero update count.
  stats_.restore(*mean, *var, 1, 0.0);
}

void BatchNorm2d::convert_own_buffers(DType dtype) {
  if (dtype == stats_.dtype()) return;
  ops::BatchNormStatistics converted(channels(), dtype, stats_.device());
  if (stats_.updates() > 0) {
    Tensor mean = stats_.mean_accumulator().clone(), var = stats_.variance_accumulator().clone();
    mean.retype_(dtype);
    var.retype_(dtype);
    converted.restore(mean, var, stats_.updates(), stats_.decay_product());
  }
  stats_ = converted;
}

}  // namespace rethink
