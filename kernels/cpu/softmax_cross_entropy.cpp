#include "kernels/softmax_cross_entropy.h"

#include "kernels/cpu/for_each.h"
#include "kernels/cpu/reduce.h"

namespace rethink::kernels::cpu {

template <class T>
double softmax_cross_entropy_forward(const T* logits, const int32_t* labels, int64_t rows,
                                     int64_t classes, T* row_loss, T* row_lse) {
  for_each(rows, SoftmaxCrossEntropyRow<T>{logits, labels, classes, row_loss, row_lse});
  const double total = sum(rows, [row_loss](int64_t r) { return double(row_loss[r]); });
  return rows > 0 ? total / static_cast<double>(rows) : 0.0;
}

template <class T>
void softmax_cross_entropy_backward(const T* logits, const int32_t* labels, const T* row_lse,
                                    int64_t rows, int64_t classes, T scale, T* grad) {
  for_each_2d(rows, classes,
              SoftmaxCrossEntropyGrad<T>{logits, labels, row_lse, classes, scale, grad});
}

template double softmax_cross_entropy_forward<float>(const float*, const int32_t*, int64_t,
                                                     int64_t, float*, float*);
template double softmax_cross_entropy_forward<double>(const double*, const int32_t*, int64_t,
                                                      int64_t, double*, double*);
template void softmax_cross_entropy_backward<float>(const float*, const int32_t*, const float*,
                                                    int64_t, int64_t, float, float*);
template void softmax_cross_entropy_backward<double>(const double*, const int32_t*,
                                                     const double*, int64_t, int64_t, double,
                                                     double*);

}  // namespace rethink::kernels::cpu
