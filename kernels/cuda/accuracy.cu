#include "kernels/accuracy.h"
#include "kernels/cuda/for_each.cuh"
#include "kernels/cuda/reduce.cuh"

namespace rethink::kernels::cuda {
namespace {

struct Flag {
  const uint8_t* correct;
  RT_HD double operator()(int64_t r) const { return correct[r]; }
};

struct StoreCount {
  double* count;
  RT_HD void operator()(double total) const { *count = total; }
};

}  // namespace

int64_t count_top1_correct_workspace_bytes(int64_t rows) {
  return flat_reduce_workspace(rows) * static_cast<int64_t>(sizeof(double));
}

template <class T>
void count_top1_correct(const T* logits, const int32_t* labels, int64_t rows, int64_t classes,
                        uint8_t* correct, double* count, void* workspace, Stream stream) {
  for_each(rows, Top1CorrectRow<T>{logits, labels, classes, correct}, stream);
  flat_reduce(rows, Flag{correct}, StoreCount{count}, static_cast<double*>(workspace), stream);
}

template void count_top1_correct<float>(const float*, const int32_t*, int64_t, int64_t, uint8_t*,
                                        double*, void*, Stream);
template void count_top1_correct<double>(const double*, const int32_t*, int64_t, int64_t, uint8_t*,
                                         double*, void*, Stream);

}  // namespace rethink::kernels::cuda
