// Convolution through cuDNN: the reference engine our im2col + GEMM kernels are ranked
// against (--conv-engine cudnn), same layouts and semantics as kernels/conv2d.h: NHWC input,
// OHWI filters, TensorFlow's SAME padding. cuDNN pads symmetrically only, so an asymmetric
// SAME (stride 2 on an even size: 0 before, 1 after) convolves an explicitly padded copy of
// the input, as TensorFlow does for it.
//
// Algorithms: cuDNN's heuristics' first deterministic one whose workspace fits (else the first
// that fits), chosen once per shape; float32 math is IEEE (CUDNN_FMA_MATH) unless the context
// asks for TF32.
#pragma once

#include <cstdint>

#include "kernels/cuda/context.h"
#include "kernels/window2d.h"

namespace rethink::kernels::cudnn {

// Device workspace bytes conv2d_forward and conv2d_backward need for this convolution of
// `element_size`-byte elements (the algorithms' workspaces and the padded copy). Needs a
// context with a cuDNN handle.
int64_t conv2d_workspace_bytes(const cuda::Context& ctx, const WindowedShape& shape, int64_t out_c,
                               int64_t element_size);

// y = conv(x, w) + b (b may be null).
template <class T>
void conv2d_forward(const cuda::Context& ctx, const WindowedShape& shape, int64_t out_c, const T* x,
                    const T* w, const T* b, T* y, void* workspace, int64_t workspace_bytes);

// Any of dx, dw, db may be null; dx is overwritten, dw and db overwritten or added to.
// `reduce_workspace` holds cuda::bias_grad_workspace_bytes(out pixels, out_c) bytes.
template <class T>
void conv2d_backward(const cuda::Context& ctx, const WindowedShape& shape, int64_t out_c,
                     const T* x, const T* w, const T* dy, T* dx, T* dw, bool accumulate_dw, T* db,
                     bool accumulate_db, void* workspace, int64_t workspace_bytes,
                     void* reduce_workspace);

}  // namespace rethink::kernels::cudnn
