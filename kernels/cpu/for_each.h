// cpu::for_each runs an index-mapped kernel body (a functor with operator()(int64_t)) over
// [0, n) with OpenMP: the same functor cuda::for_each launches on the GPU.
//
// Row-structured bodies also expose at(row, col); for_each_2d calls it directly, so the CPU
// pays no division per element while running the very math the GPU runs.
#pragma once

#include <cstdint>

namespace rethink::kernels::cpu {

// Below this many elements a parallel region costs more than it saves.
inline constexpr int64_t kMinParallelWork = 1 << 14;

template <class F>
void for_each(int64_t n, const F& f) {
#pragma omp parallel for schedule(static) if (n >= kMinParallelWork)
  for (int64_t i = 0; i < n; ++i) f(i);
}

template <class F>
void for_each_2d(int64_t rows, int64_t cols, const F& f) {
#pragma omp parallel for schedule(static) if (rows * cols >= kMinParallelWork)
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) f.at(r, c);
  }
}

}  // namespace rethink::kernels::cpu
