#include "kernels/accuracy.h"

#include "kernels/cpu/for_each.h"
#include "kernels/cpu/reduce.h"

namespace rethink::kernels::cpu {

template <class T>
int64_t count_top1_correct(const T* logits, const int32_t* labels, int64_t rows, int64_t classes,
                           uint8_t* correct) {
  for_each(rows, Top1CorrectRow<T>{logits, labels, classes, correct});
  return static_cast<int64_t>(sum(rows, [correct](int64_t r) { return double(correct[r]); }));
}

template int64_t count_top1_correct<float>(const float*, const int32_t*, int64_t, int64_t,
                                           uint8_t*);
template int64_t count_top1_correct<double>(const double*, const int32_t*, int64_t, int64_t,
                                            uint8_t*);

}  // namespace rethink::kernels::cpu
