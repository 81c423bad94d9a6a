// Gathers whole rows by index: dst[r, :] = src[index[r], :]. Assembles a batch in epoch order.
#pragma once

#include <cstdint>

#include "kernels/hd.h"

namespace rethink::kernels {

template <class T>
struct GatherRows {
  const T* src;
  const int32_t* index;
  int64_t row_size;
  T* dst;
  RT_HD void at(int64_t r, int64_t c) const {
    dst[r * row_size + c] = src[static_cast<int64_t>(index[r]) * row_size + c];
  }
  RT_HD void operator()(int64_t i) const { at(i / row_size, i % row_size); }
};

namespace cpu {
template <class T>
void gather_rows(const T* src, const int32_t* index, int64_t rows, int64_t row_size, T* dst);
}  // namespace cpu

namespace cuda {
template <class T>
void gather_rows(const T* src, const int32_t* index, int64_t rows, int64_t row_size, T* dst,
                 Stream stream);
}  // namespace cuda

}  // namespace rethink::kernels
