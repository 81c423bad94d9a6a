#include "runtime/ops/concat.h"

#include "kernels/concat.h"
#include "runtime/autograd.h"
#include "runtime/ops/op_checks.h"

namespace rethink::ops {
namespace {

// Rows of the [rows, channels] matrix a channels-last tensor is: the product of the other
// dimensions (not numel / channels, which a zero-channel input would leave undefined).
int64_t rows_of(const Tensor& t) {
  int64_t rows = 1;
  for (int64_t d = 0; d + 1 < t.rank(); ++d) rows *= t.size(d);
  return rows;
}

class ConcatBackward final : public Node {
 public:
  explicit ConcatBackward(const std::vector<Tensor>& xs) : Node(xs) {}
  std::string_view name() const override { return "concat_channels"; }

  // Each input requiring a gradient gets its slice of dy's channels.
  std::vector<Tensor> backward(const Tensor& dy, const std::vector<Tensor>&) override {
    const int64_t rows = rows_of(dy), total = dy.size(-1);
    std::vector<Tensor> dxs(inputs().size());
    int64_t offset = 0;
    dispatch_floating(dy.dtype(), "concat_channels backward", [&]<class T>() {
      for (size_t i = 0; i < inputs().size(); ++i) {
        const Tensor& x = inputs()[i];
        const int64_t cols = x.size(-1);
        if (x.requires_grad()) {
          dxs[i] = Tensor::empty(x.shape(), x.dtype(), x.device());
          if (dy.device().is_cpu()) {
            kernels::cpu::split_columns(dy.data<T>(), rows, total, offset, cols, dxs[i].data<T>());
          } else if constexpr (kBuiltWithCuda) {
            kernels::cuda::split_columns(dy.data<T>(), rows, total, offset, cols, dxs[i].data<T>(),
                                         stream_of(dy));
          }
        }
        offset += cols;
      }
    });
    return dxs;
  }
};

}  // namespace

Tensor concat_channels(const std::vector<Tensor>& xs) {
  RT_CHECK(!xs.empty(), "concat_channels: no inputs; pass one or more tensors");
  for (size_t i = 0; i < xs.size(); ++i) {
    RT_CHECK(xs[i].defined(), "concat_channels: input {} is an undefined tensor", i);
  }
  const Tensor& first = xs[0];
  RT_CHECK(first.rank() >= 1, "concat_channels: input 0 {} has no channel dimension",
           first.describe());
  std::vector<int64_t> dims = first.shape().dims();
  int64_t channels = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const Tensor& x = xs[i];
    check_same_device(first, x, "concat_channels");
    RT_CHECK(x.dtype() == first.dtype(),
             "concat_channels: input {} {} and input 0 {} differ in dtype", i, x.describe(),
             first.describe());
    bool same_outer = x.rank() == first.rank();
    for (int64_t d = 0; same_outer && d + 1 < x.rank(); ++d)
      same_outer = x.size(d) == first.size(d);
    RT_CHECK(same_outer,
             "concat_channels: input {} has shape {} but input 0 has {}: all dimensions but the "
             "last (channels) must be equal",
             i, x.shape().to_string(), first.shape().to_string());
    channels += x.size(-1);
  }
  dims.back() = channels;

  Tensor y = Tensor::empty(Shape(std::move(dims)), first.dtype(), first.device());
  const int64_t rows = rows_of(first);
  dispatch_floating(first.dtype(), "concat_channels", [&]<class T>() {
    int64_t offset = 0;
    for (const Tensor& x : xs) {
      if (y.device().is_cpu()) {
        kernels::cpu::concat_columns(x.data<T>(), rows, x.size(-1), y.data<T>(), channels, offset);
      } else if constexpr (kBuiltWithCuda) {
        kernels::cuda::concat_columns(x.data<T>(), rows, x.size(-1), y.data<T>(), channels, offset,
                                      stream_of(y));
      }
      offset += x.size(-1);
    }
  });
  bool grad = false;
  for (const Tensor& x : xs) grad = grad || needs_grad(x);
  if (grad) record(y, std::make_shared<ConcatBackward>(xs));
  return y;
}

}  // namespace rethink::ops
