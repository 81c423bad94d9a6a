// Softmax cross-entropy over rows of logits [rows, classes] with integer labels, in the
// numerically stable log-sum-exp form:
//   lse_r = m_r + log sum_k exp(x_rk - m_r),  m_r = max_k x_rk,   loss_r = lse_r - x_r,label
//   d loss_r / d x_rk = exp(x_rk - lse_r) - [k == label_r]
// The forward keeps lse_r so the backward needs no second pass over the row.
#pragma once

#include <cstdint>

#include "kernels/hd.h"
#include "kernels/math.h"

namespace rethink::kernels {

template <class T>
struct SoftmaxCrossEntropyRow {
  const T* logits;
  const int32_t* labels;
  int64_t classes;
  T* row_loss;
  T* row_lse;
  RT_HD void operator()(int64_t r) const {
    const T* x = logits + r * classes;
    T m = x[0];
    for (int64_t k = 1; k < classes; ++k) m = x[k] > m ? x[k] : m;
    T s = 0;
    for (int64_t k = 0; k < classes; ++k) s += hd_exp(x[k] - m);
    const T lse = m + hd_log(s);
    row_lse[r] = lse;
    // A label out of range reads nothing and poisons its row (the CPU op rejects it first).
    const int32_t label = labels[r];
    row_loss[r] = label >= 0 && label < classes ? lse - x[label] : static_cast<T>(hd_nan());
  }
};

// grad = scale * (softmax - onehot), scale = d(loss)/d(mean loss) / rows.
template <class T>
struct SoftmaxCrossEntropyGrad {
  const T* logits;
  const int32_t* labels;
  const T* row_lse;
  int64_t classes;
  T scale;
  T* grad;
  RT_HD void at(int64_t r, int64_t k) const {
    const int64_t i = r * classes + k;
    const T p = hd_exp(logits[i] - row_lse[r]);
    grad[i] = scale * (p - (k == labels[r] ? T(1) : T(0)));
  }
  RT_HD void operator()(int64_t i) const { at(i / classes, i % classes); }
};

namespace cpu {
// Returns the mean loss over rows (summed in double, deterministically); fills row_lse.
template <class T>
double softmax_cross_entropy_forward(const T* logits, const int32_t* labels, int64_t rows,
                                     int64_t classes, T* row_loss, T* row_lse);
template <class T>
void softmax_cross_entropy_backward(const T* logits, const int32_t* labels, const T* row_lse,
                                    int64_t rows, int64_t classes, T scale, T* grad);
}  // namespace cpu

namespace cuda {
// Bytes of device workspace the forward needs.
int64_t softmax_cross_entropy_workspace_bytes(int64_t rows);
// Writes row_loss, row_lse and loss[0], the mean of row_loss summed in double (deterministic).
// A label outside [0, classes) makes its row's loss NaN (checking on the host would cost a
// synchronization per step; the data sets check their labels when they load).
template <class T>
void softmax_cross_entropy_forward(const T* logits, const int32_t* labels, int64_t rows,
                                   int64_t classes, T* row_loss, T* row_lse, T* loss,
                                   void* workspace, Stream stream);
// grad = (*dloss / rows) * (softmax - onehot): the upstream gradient is read on the device.
template <class T>
void softmax_cross_entropy_backward(const T* logits, const int32_t* labels, const T* row_lse,
                                    int64_t rows, int64_t classes, const T* dloss, T* grad,
                                    Stream stream);
}  // namespace cuda

}  // namespace rethink::kernels
