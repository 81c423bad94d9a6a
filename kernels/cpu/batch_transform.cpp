#include "kernels/batch_transform.h"

#include "kernels/cpu/for_each.h"

namespace rethink::kernels::cpu {

template <class T>
void batch_transform(const BatchTransform<T>& t) {
  // One image per iteration: its output (a few KiB) stays in L1 across the five phases.
#pragma omp parallel for schedule(static) if (t.rows * t.shape.out_size() >= kMinParallelWork)
  for (int64_t b = 0; b < t.rows; ++b) t.image(b);
}

template void batch_transform<uint8_t>(const BatchTransform<uint8_t>&);
template void batch_transform<float>(const BatchTransform<float>&);

}  // namespace rethink::kernels::cpu
