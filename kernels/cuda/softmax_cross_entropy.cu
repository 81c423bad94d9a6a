#include "kernels/cuda/for_each.cuh"
#include "kernels/cuda/reduce.cuh"
#include "kernels/softmax_cross_entropy.h"

namespace rethink::kernels::cuda {
namespace {

template <class T>
struct RowLoss {
  const T* row_loss;
  RT_HD double operator()(int64_t r) const { return row_loss[r]; }
};

// The CPU op's rounding: the double mean, rounded once to T.
template <class T>
struct StoreMean {
  T* loss;
  int64_t rows;
  RT_HD void operator()(double total) const {
    *loss = static_cast<T>(rows > 0 ? total / static_cast<double>(rows) : 0.0);
  }
};

// The shared gradient body with its scale taken from the upstream gradient on the device, as
// the CPU op computes it on the host: dloss / rows, in T.
template <class T>
struct GradWithDeviceScale {
  SoftmaxCrossEntropyGrad<T> grad;
  const T* dloss;
  int64_t rows;
  RT_HD void operator()(int64_t i) const {
    SoftmaxCrossEntropyGrad<T> g = grad;
    g.scale = *dloss / static_cast<T>(rows);
    g(i);
  }
};

}  // namespace

int64_t softmax_cross_entropy_workspace_bytes(int64_t rows) {
  return flat_reduce_workspace(rows) * static_cast<int64_t>(sizeof(double));
}

template <class T>
void softmax_cross_entropy_forward(const T* logits, const int32_t* labels, int64_t rows,
                                   int64_t classes, T* row_loss, T* row_lse, T* loss,
                                   void* workspace, Stream stream) {
  for_each(rows, SoftmaxCrossEntropyRow<T>{logits, labels, classes, row_loss, row_lse}, stream);
  flat_reduce(rows, RowLoss<T>{row_loss}, StoreMean<T>{loss, rows}, static_cast<double*>(workspace),
              stream);
}

template <class T>
void softmax_cross_entropy_backward(const T* logits, const int32_t* labels, const T* row_lse,
                                    int64_t rows, int64_t classes, const T* dloss, T* grad,
                                    Stream stream) {
  if (rows <= 0 || classes <= 0) return;
  const SoftmaxCrossEntropyGrad<T> body{logits, labels, row_lse, classes, T(0), grad};
  for_each(rows * classes, GradWithDeviceScale<T>{body, dloss, rows}, stream);
}

template void softmax_cross_entropy_forward<float>(const float*, const int32_t*, int64_t, int64_t,
                                                   float*, float*, float*, void*, Stream);
template void softmax_cross_entropy_forward<double>(const double*, const int32_t*, int64_t, int64_t,
                                                    double*, double*, double*, void*, Stream);
template void softmax_cross_entropy_backward<float>(const float*, const int32_t*, const float*,
                                                    int64_t, int64_t, const float*, float*, Stream);
template void softmax_cross_entropy_backward<double>(const double*, const int32_t*, const double*,
                                                     int64_t, int64_t, const double*, double*,
                                                     Stream);

}  // namespace rethink::kernels::cuda
