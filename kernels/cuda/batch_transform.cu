#include "kernels/batch_transform.h"
#include "kernels/cuda/for_each.cuh"

namespace rethink::kernels::cuda {

template <class T>
void batch_transform(const BatchTransform<T>& t, Stream stream) {
  if (t.rows <= 0) return;
  for_each(t.rows, BatchTransformDraw<T>{t}, stream);
  for_each(t.rows * t.shape.out_pixels(), BatchTransformPixels<T>{t}, stream);
  for_each(t.rows * t.shape.out_h, BatchTransformRowStats<T>{t}, stream);
  for_each(t.rows, BatchTransformCoefficients<T>{t}, stream);
  for_each(t.rows * t.shape.out_size(), BatchTransformApply<T>{t}, stream);
}

template void batch_transform<uint8_t>(const BatchTransform<uint8_t>&, Stream);
template void batch_transform<float>(const BatchTransform<float>&, Stream);

}  // namespace rethink::kernels::cuda
