#include "datasets/design_matrix.h"

#include "kernels/check.h"

namespace rethink {
namespace {

template <class From, class To>
void convert(const From* in, int64_t count, double scale, To* out) {
#pragma omp parallel for schedule(static) if (count >= (1 << 16))
  for (int64_t i = 0; i < count; ++i) out[i] = static_cast<To>(static_cast<double>(in[i]) * scale);
}

template <class To>
void fill(const Tensor& images, const Tensor& out) {
  const int64_t count = images.numel();
  if (images.dtype() == DType::kUInt8) {
    convert(images.data<uint8_t>(), count, 1.0 / 255.0, out.data<To>());
  } else {
    convert(images.data<float>(), count, 1.0, out.data<To>());
  }
}

}  // namespace

Tensor design_matrix(const Split& split, DType dtype) {
  const Tensor& images = split.images;
  RT_CHECK(images.defined() && images.rank() == 4,
           "design_matrix: expected images [N, H, W, C], got {}",
           images.defined() ? images.describe() : std::string("none"));
  RT_CHECK(images.dtype() == DType::kUInt8 || images.dtype() == DType::kFloat32,
           "design_matrix: images must be uint8 or float32, got {}", images.describe());
  RT_CHECK(dtype == DType::kFloat32 || dtype == DType::kFloat64,
           "design_matrix: rows must be float32 or float64");
  const Tensor host = images.to(Device::cpu());
  const int64_t n = host.size(0);
  Tensor out = Tensor::empty(Shape{n, host.size(1) * host.size(2) * host.size(3)}, dtype);
  if (dtype == DType::kFloat64) {
    fill<double>(host, out);
  } else {
    fill<float>(host, out);
  }
  return out;
}

}  // namespace rethink
