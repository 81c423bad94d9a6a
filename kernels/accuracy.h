// Top-1 correctness per row: the first index of the row's maximum equals the label.
#pragma once

#include <cstdint>

#include "kernels/hd.h"

namespace rethink::kernels {

template <class T>
struct Top1CorrectRow {
  const T* logits;
  const int32_t* labels;
  int64_t classes;
  uint8_t* correct;
  RT_HD void operator()(int64_t r) const {
    const T* x = logits + r * classes;
    int64_t best = 0;
    for (int64_t k = 1; k < classes; ++k) best = x[k] > x[best] ? k : best;
    correct[r] = best == labels[r] ? 1 : 0;
  }
};

namespace cpu {
// Number of rows whose top-1 prediction equals the label; `correct` is rows bytes of scratch.
template <class T>
int64_t count_top1_correct(const T* logits, const int32_t* labels, int64_t rows, int64_t classes,
                           uint8_t* correct);
}  // namespace cpu

namespace cuda {
int64_t count_top1_correct_workspace_bytes(int64_t rows);
// *count (device memory) = the number of rows whose top-1 prediction equals the label, exact
// in double; `correct` is rows bytes of scratch.
template <class T>
void count_top1_correct(const T* logits, const int32_t* labels, int64_t rows, int64_t classes,
                        uint8_t* correct, double* count, void* workspace, Stream stream);
}  // namespace cuda

}  // namespace rethink::kernels
