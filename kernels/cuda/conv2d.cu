#include <algorithm>

#include "kernels/bias.h"
#include "kernels/conv2d.h"
#include "kernels/cuda/for_each.cuh"
#include "kernels/gemm.h"

namespace rethink::kernels::cuda {

int64_t conv2d_backward_reduce_bytes(const Conv2dPlan& plan) {
  return bias_grad_workspace_bytes(plan.shape.out_pixels(), plan.out_c);
}

template <class T>
void im2col(const T* x, const WindowedShape& shape, T* col, Stream stream) {
  for_each(shape.out_pixels() * shape.window.kernel_h * shape.window.kernel_w * shape.in_c,
           Im2col<T>{x, shape, col}, stream);
}

template <class T>
void col2im(const T* dcol, const WindowedShape& shape, T* dx, Stream stream) {
  for_each(shape.in_pixels() * shape.in_c, Col2imGather<T>{dcol, shape, dx}, stream);
}

template <class T>
void conv2d_forward(const Context& ctx, const Conv2dPlan& plan, const T* x, const T* w, const T* b,
                    T* y, T* workspace) {
  const WindowedShape& s = plan.shape;
  const int64_t k = plan.col_cols(), out_c = plan.out_c, ppi = plan.pixels_per_image();
  const int64_t in_image = s.in_h * s.in_w * s.in_c;
  const bool pointwise = s.window.is_pointwise();
  for (int64_t t = 0; t < plan.tiles(); ++t) {
    const int64_t n0 = t * plan.tile_images;
    const int64_t images = std::min(plan.tile_images, s.batch - n0);
    const T* col = x + n0 * in_image;
    if (!pointwise) {
      im2col(col, s.with_batch(images), workspace, ctx.stream);
      col = workspace;
    }
    gemm<T>(ctx, false, true, images * ppi, out_c, k, 1, col, k, w, k, 0, y + n0 * ppi * out_c,
            out_c);
  }
  if (b) bias_add_rows(b, s.out_pixels(), out_c, y, ctx.stream);
}

template <class T>
void conv2d_backward(const Context& ctx, const Conv2dPlan& plan, const T* x, const T* w,
                     const T* dy, T* dx, T* dw, bool accumulate_dw, T* db, bool accumulate_db,
                     T* workspace, void* reduce_workspace) {
  const WindowedShape& s = plan.shape;
  const int64_t k = plan.col_cols(), out_c = plan.out_c, ppi = plan.pixels_per_image();
  const int64_t in_image = s.in_h * s.in_w * s.in_c;
  const bool pointwise = s.window.is_pointwise();
  if (db) {
    bias_grad_rows(dy, s.out_pixels(), out_c, db, accumulate_db, reduce_workspace, ctx.stream);
  }
  T* flipped = workspace + plan.tile_elements();  // transposed_dx only
  const bool transposed = dx && plan.transposed_dx;
  const int64_t transposed_k = k / s.in_c * out_c;  // KH * KW * out_c
  if (transposed) {
    for_each(out_c * k,
             FlipConvWeights<T>{w, out_c, s.window.kernel_h, s.window.kernel_w, s.in_c, flipped},
             ctx.stream);
  }
  if (dw && !accumulate_dw && plan.tiles() == 0) {
    // An empty batch contributes nothing: the gradient is zero, as on the CPU.
    RT_CUDA_CHECK(cudaMemsetAsync(dw, 0, static_cast<size_t>(out_c * k) * sizeof(T),
                                  reinterpret_cast<cudaStream_t>(ctx.stream)));
  }
  for (int64_t t = 0; t < plan.tiles(); ++t) {
    const int64_t n0 = t * plan.tile_images;
    const int64_t images = std::min(plan.tile_images, s.batch - n0);
    const int64_t rows = images * ppi;
    const WindowedShape tile = s.with_batch(images);
    const T* dy_tile = dy + n0 * ppi * out_c;
    if (dw) {
      const T* col = x + n0 * in_image;
      if (!pointwise) {
        im2col(col, tile, workspace, ctx.stream);
        col = workspace;
      }
      // dW (+)= dY^T col: the tiles add up in order inside the GEMMs.
      const T beta = accumulate_dw || t > 0 ? T(1) : T(0);
      gemm<T>(ctx, true, false, out_c, k, rows, 1, dy_tile, out_c, col, k, beta, dw, k);
    }
    if (dx && pointwise) {
      gemm<T>(ctx, false, false, rows, k, out_c, 1, dy_tile, out_c, w, k, 0, dx + n0 * in_image, k);
    } else if (transposed) {
      // dx = conv(dy, flipped weights), as on the CPU (kernels/conv2d.h).
      const WindowedShape t_tile = plan.transposed.with_batch(images);
      im2col(dy_tile, t_tile, workspace, ctx.stream);
      gemm<T>(ctx, false, true, t_tile.out_pixels(), s.in_c, transposed_k, 1, workspace,
              transposed_k, flipped, transposed_k, 0, dx + n0 * in_image, s.in_c);
    } else if (dx) {
      // The col buffer is free again (stream order): it now holds dcol.
      gemm<T>(ctx, false, false, rows, k, out_c, 1, dy_tile, out_c, w, k, 0, workspace, k);
      col2im(workspace, tile, dx + n0 * in_image, ctx.stream);
    }
  }
}

#define RT_INSTANTIATE(T)                                                                          \
  template void im2col<T>(const T*, const WindowedShape&, T*, Stream);                             \
  template void col2im<T>(const T*, const WindowedShape&, T*, Stream);                             \
  template void conv2d_forward<T>(const Context&, const Conv2dPlan&, const T*, const T*, const T*, \
                                  T*, T*);                                                         \
  template void conv2d_backward<T>(const Context&, const Conv2dPlan&, const T*, const T*,          \
                                   const T*, T*, T*, bool, T*, bool, T*, void*);
RT_INSTANTIATE(float)
RT_INSTANTIATE(double)
#undef RT_INSTANTIATE

}  // namespace rethink::kernels::cuda
