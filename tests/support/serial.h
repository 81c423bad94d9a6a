// Serial drivers for the index-mapped kernel functors (kernels/*.h): they call the functor the
// way a GPU thread would, one flat index i at a time (operator()(int64_t)), or through the
// row/column form at(r, c), so a test can check both against the cpu:: entry point.
#pragma once

#include <cstdint>

namespace rethink::test {

template <class F>
void run_each_index(int64_t n, const F& f) {
  for (int64_t i = 0; i < n; ++i) f(i);
}

template <class F>
void run_each_row_col(int64_t rows, int64_t cols, const F& f) {
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) f.at(r, c);
  }
}

}  // namespace rethink::test
