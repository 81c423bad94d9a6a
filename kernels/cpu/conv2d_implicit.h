// The CPU convolution's implicit-GEMM engine (Conv2dEngine::kImplicit, float32 on AVX2 or
// AVX-512),
// behind kernels::cpu::conv2d_forward / conv2d_backward, which call it for plans that chose
// it (kernels/conv2d.h). Internal to kernels/cpu.
#pragma once

#include <cstdint>

#include "kernels/conv2d.h"

namespace rethink::kernels::cpu {

// Workspace the packed weights take, ahead of the per-thread tile buffers.
int64_t conv2d_implicit_forward_packed_elements(const Conv2dPlan& plan);
int64_t conv2d_implicit_backward_packed_elements(const Conv2dPlan& plan);

void conv2d_forward_implicit(const Conv2dPlan& plan, const float* x, const float* w, const float* b,
                             float* y, float* workspace);
void conv2d_backward_implicit(const Conv2dPlan& plan, const float* x, const float* w,
                              const float* dy, float* dx, float* dw, bool accumulate_dw, float* db,
                              bool accumulate_db, float* workspace);

// dw = (dw if accumulate) + the sum of `groups` partial weight gradients of w_size elements,
// in group order: both engines' last step (kernels/cpu/conv2d.cpp).
template <class T>
void sum_weight_partials(const T* partials, int64_t groups, int64_t w_size, T* dw, bool accumulate);

}  // namespace rethink::kernels::cpu
