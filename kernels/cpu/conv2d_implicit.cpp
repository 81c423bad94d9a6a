// The implicit-GEMM convolution (see kernels/conv2d.h and kernels/cpu/implicit_gemm.h).
//
// A tile of images is first copied into a zero-padded buffer, [images, padded_h, padded_w,
// Cin]. In it every window lies inside the buffer, and for one kernel row kh the window's KW *
// Cin taps are one contiguous run (the weights' own (kh, kw, cin) order), so the im2col row of
// output pixel (oh, ow) is KH runs at fixed strides: the GEMM reads it where it lies. Output
// pixels of one output line are rows a fixed stride (stride * Cin) apart, so each output line
// is one gemm_rows call. Without padding, x itself is that buffer.
#include "kernels/cpu/conv2d_implicit.h"

#include <omp.h>

#include <algorithm>

#include "kernels/bias.h"
#include "kernels/cpu/for_each.h"
#include "kernels/cpu/implicit_gemm.h"

namespace rethink::kernels::cpu {
namespace {

using implicit_gemm::PackedB;
using implicit_gemm::PixelGrid;
using implicit_gemm::StridedRows;

// `images` images of s's input shape -> [images, padded_h, padded_w, in_c], zeros around.
void pad_images(const float* x, const WindowedShape& s, int64_t images, float* padded) {
  const int64_t c = s.in_c, hp = s.padded_h(), wp = s.padded_w();
  const int64_t left = s.window.pad.left * c, right = s.window.pad.right * c, run = s.in_w * c;
  for (int64_t line = 0; line < images * hp; ++line) {
    const int64_t n = line / hp, h = line % hp - s.window.pad.top;
    float* dst = padded + line * wp * c;
    if (h < 0 || h >= s.in_h) {
      std::fill(dst, dst + wp * c, 0.f);
      continue;
    }
    const float* src = x + (n * s.in_h + h) * run;
    std::fill(dst, dst + left, 0.f);
    std::copy(src, src + run, dst + left);
    std::fill(dst + left + run, dst + left + run + right, 0.f);
  }
}

// The image (padded, or as it lies when s does not pad) that the window of s walks.
struct WalkedImages {
  const float* data;
  int64_t h, w;  // its rows and columns
};
WalkedImages walked(const float* x, const WindowedShape& s, int64_t images, float* buffer) {
  if (!s.window.pads()) return {x, s.in_h, s.in_w};
  pad_images(x, s, images, buffer);
  return {buffer, s.padded_h(), s.padded_w()};
}

// y rows of `images` images = conv(src) with the packed weights: one gemm_rows call per image
// (its output lines share each kernel row's packed weights while they are in cache), or, where
// the caller's threads do not take tiles, one per output line, the lines shared between them.
void convolve_lines(const WalkedImages& src, const WindowedShape& s, int64_t images,
                    const PackedB& layout, const float* packed, float* y, int64_t out_c,
                    bool parallel) {
  const int64_t c = s.in_c;
  const Window2d& win = s.window;
  const int64_t lines_per_call = parallel ? 1 : s.out_h;
  const int64_t calls = images * s.out_h / lines_per_call;
  const int64_t call_work = lines_per_call * s.out_w * out_c * layout.k;
#pragma omp parallel for schedule(static) if (parallel && calls * call_work >= kMinParallelWork)
  for (int64_t call = 0; call < calls; ++call) {
    const int64_t line = call * lines_per_call, n = line / s.out_h, oh = line % s.out_h;
    const StridedRows rows{.a = src.data + ((n * src.h + oh * win.stride_h) * src.w) * c,
                           .row_stride = win.stride_w * c,
                           .segments = win.kernel_h,
                           .segment_length = win.kernel_w * c,
                           .segment_stride = src.w * c,
                           .lines = lines_per_call,
                           .line_stride = win.stride_h * src.w * c};
    implicit_gemm::gemm_rows(rows, s.out_w, layout, packed, y + line * s.out_w * out_c, out_c,
                             false);
  }
}

// rows x k (row-major, leading dimension k) times the packed B: a pointwise product, in row
// chunks shared between the threads unless the caller's threads already take tiles.
void multiply_rows(const float* a, int64_t rows, int64_t k, const PackedB& layout,
                   const float* packed, float* c, int64_t ldc, bool parallel) {
  // Rows per task: a multiple of AVX-512's register blocks of 14 and 7 rows (AVX2's are spread
  // evenly over it).
  constexpr int64_t kChunk = 112;
  const int64_t chunks = (rows + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) if (parallel && chunks > 1)
  for (int64_t ch = 0; ch < chunks; ++ch) {
    const int64_t r0 = ch * kChunk, count = std::min(kChunk, rows - r0);
    const StridedRows block{.a = a + r0 * k, .row_stride = k, .segments = 1, .segment_length = k};
    implicit_gemm::gemm_rows(block, count, layout, packed, c + r0 * ldc, ldc, false);
  }
}

// The layouts of the weights as each product packs them.
PackedB forward_layout(const Conv2dPlan& plan) {
  return PackedB::make(plan.col_cols(), plan.out_c);
}
// dx's B: the flipped weights [KH*KW*Cout, Cin] (transposed convolution), or w itself as
// [Cout, Cin] (pointwise) or [Cout, K] (dcol rows).
PackedB dx_layout(const Conv2dPlan& plan) {
  const WindowedShape& s = plan.shape;
  if (plan.transposed_dx) {
    return PackedB::make(s.window.kernel_h * s.window.kernel_w * plan.out_c, s.in_c);
  }
  return PackedB::make(plan.out_c, plan.col_cols());
}

}  // namespace

int64_t conv2d_implicit_forward_packed_elements(const Conv2dPlan& plan) {
  return forward_layout(plan).elements();
}

int64_t conv2d_implicit_backward_packed_elements(const Conv2dPlan& plan) {
  // The transposed convolution's flipped weights stay beside their packed copy.
  return dx_layout(plan).elements() + (plan.transposed_dx ? plan.out_c * plan.col_cols() : 0);
}

void conv2d_forward_implicit(const Conv2dPlan& plan, const float* x, const float* w, const float* b,
                             float* y, float* workspace) {
  const WindowedShape& s = plan.shape;
  const int64_t k = plan.col_cols(), out_c = plan.out_c, ppi = plan.pixels_per_image();
  const int64_t in_image = s.in_h * s.in_w * s.in_c, tiles = plan.tiles();
  if (tiles == 0) return;
  const PackedB layout = forward_layout(plan);
  float* packed = workspace;
  implicit_gemm::pack_b(layout, w, k, /*b_transposed=*/true, packed);
  float* buffers = packed + layout.elements();
  const bool pointwise = s.window.is_pointwise();
  const bool lines_parallel = !plan.parallel_tiles;
#pragma omp parallel for schedule(dynamic) num_threads(plan.threads) if (plan.parallel_tiles)
  for (int64_t t = 0; t < tiles; ++t) {
    const int64_t n0 = t * plan.tile_images;
    const int64_t images = std::min(plan.tile_images, s.batch - n0);
    const float* x_tile = x + n0 * in_image;
    float* y_tile = y + n0 * ppi * out_c;
    if (pointwise) {
      multiply_rows(x_tile, images * ppi, k, layout, packed, y_tile, out_c, lines_parallel);
    } else {
      float* buffer = buffers + omp_get_thread_num() * plan.tile_elements();
      convolve_lines(walked(x_tile, s, images, buffer), s, images, layout, packed, y_tile, out_c,
                     lines_parallel);
    }
    if (b) bias_add_rows(b, images * ppi, out_c, y_tile);
  }
}

void conv2d_backward_implicit(const Conv2dPlan& plan, const float* x, const float* w,
                              const float* dy, float* dx, float* dw, bool accumulate_dw, float* db,
                              bool accumulate_db, float* workspace) {
  const WindowedShape& s = plan.shape;
  const Window2d& win = s.window;
  const int64_t k = plan.col_cols(), out_c = plan.out_c, ppi = plan.pixels_per_image();
  const int64_t in_image = s.in_h * s.in_w * s.in_c, tiles = plan.tiles();
  const int64_t groups = plan.weight_groups(), w_size = out_c * k;
  const bool pointwise = win.is_pointwise();
  const bool lines_parallel = !plan.parallel_tiles;  // dx's products; dw stays one thread's
  if (db) bias_grad_rows(dy, s.out_pixels(), out_c, db, accumulate_db);

  const PackedB layout = dx_layout(plan);
  float* packed = workspace;
  float* flipped = packed + layout.elements();  // transposed_dx only
  float* buffers = flipped + (plan.transposed_dx ? w_size : 0);
  float* partials = buffers + plan.threads * (plan.tile_elements() + plan.dx_tile_elements());
  if (tiles == 0) {  // an empty batch: no workspace to pack into, and zero weight gradients
    if (dw && !accumulate_dw) std::fill(dw, dw + w_size, 0.f);
    return;
  }
  if (dx && plan.transposed_dx) {
    for_each(w_size, FlipConvWeights<float>{w, out_c, win.kernel_h, win.kernel_w, s.in_c, flipped});
    implicit_gemm::pack_b(layout, flipped, layout.k, /*b_transposed=*/true, packed);
  } else if (dx) {
    implicit_gemm::pack_b(layout, w, layout.n, /*b_transposed=*/false, packed);
  }

#pragma omp parallel for schedule(dynamic) num_threads(plan.threads) if (plan.parallel_tiles)
  for (int64_t g = 0; g < groups; ++g) {
    float* x_buffer =
        buffers + omp_get_thread_num() * (plan.tile_elements() + plan.dx_tile_elements());
    float* dx_buffer = x_buffer + plan.tile_elements();
    float* partial = partials + g * w_size;
    if (dw) std::fill(partial, partial + w_size, 0.f);
    const int64_t first = g * tiles / groups, last = (g + 1) * tiles / groups;
    for (int64_t t = first; t < last; ++t) {
      const int64_t n0 = t * plan.tile_images;
      const int64_t images = std::min(plan.tile_images, s.batch - n0);
      const int64_t rows = images * ppi;
      const float* dy_tile = dy + n0 * ppi * out_c;
      float* dx_tile = dx ? dx + n0 * in_image : nullptr;
      if (dw && pointwise) {
        // dw [Cout, Cin] += dy^T x over the tile's pixels, all in one row.
        const PixelGrid grid{.a = x + n0 * in_image,
                             .lines = 1,
                             .cols = rows,
                             .col_stride = s.in_c,
                             .segment_length = s.in_c};
        implicit_gemm::gemm_pixels(grid, dy_tile, out_c, out_c, partial, k);
      } else if (dw) {
        const WalkedImages src = walked(x + n0 * in_image, s, images, x_buffer);
        for (int64_t n = 0; n < images; ++n) {
          const PixelGrid grid{.a = src.data + n * src.h * src.w * s.in_c,
                               .lines = s.out_h,
                               .cols = s.out_w,
                               .line_stride = win.stride_h * src.w * s.in_c,
                               .col_stride = win.stride_w * s.in_c,
                               .segments = win.kernel_h,
                               .segment_length = win.kernel_w * s.in_c,
                               .segment_stride = src.w * s.in_c};
          implicit_gemm::gemm_pixels(grid, dy_tile + n * ppi * out_c, out_c, out_c, partial, k);
        }
      }
      if (!dx) continue;
      if (pointwise) {
        multiply_rows(dy_tile, rows, out_c, layout, packed, dx_tile, s.in_c, lines_parallel);
      } else if (plan.transposed_dx) {
        // dx = conv(dy, flipped) at stride 1 with the complementary padding.
        const WindowedShape t_shape = plan.transposed.with_batch(images);
        convolve_lines(walked(dy_tile, t_shape, images, dx_buffer), t_shape, images, layout, packed,
                       dx_tile, s.in_c, lines_parallel);
      } else {
        multiply_rows(dy_tile, rows, out_c, layout, packed, dx_buffer, k, lines_parallel);
        col2im(dx_buffer, s.with_batch(images), dx_tile);
      }
    }
  }
  if (dw) sum_weight_partials(partials, groups, w_size, dw, accumulate_dw);
}

}  // namespace rethink::kernels::cpu
