// 2-D convolution over NHWC images with OHWI filters, as im2col + GEMM:
//   x [N, H, W, Cin], w [Cout, KH, KW, Cin], b [Cout] -> y [N, OH, OW, Cout]
//
// im2col writes the matrix col [N*OH*OW, KH*KW*Cin] whose column order (kh, kw, cin) is the
// weight's own, so that y = col * w^T is one GEMM over the whole batch (w as stored is
// [Cout, K] row-major) and each (pixel, kh, kw) row of Cin values is one contiguous channel run
// of x, or zeros where the window hangs over the padding. A pointwise window (1x1, stride 1,
// no padding) needs no im2col: x itself is the col matrix.
//
// Backward: dw = dy^T * col, db = column sums of dy, and dx one of two ways:
// - dcol = dy * w, then dx = col2im(dcol) written as a gather: every input element sums, in a
//   fixed (kh, kw) order, the dcol entries that read it. No two threads write one element, so
//   it is race-free and deterministic on both devices without atomics.
// - at stride 1, as the transposed convolution: dx is the stride-1 convolution of dy with the
//   spatially flipped, in/out-swapped weights (FlipConvWeights) and the complementary padding
//   (kernel - 1 - pad per side). Its im2col reads Cout-channel runs where col2im's dcol holds
//   Cin-channel ones, and its GEMM has inner dimension KH*KW*Cout instead of Cout. Measured on
//   the small Inception's layers (batch 128, 2 threads, docs/BENCHMARKS.md) it pays where Cout
//   is a third of Cin or less (28x28 96 -> 32: the whole backward 13% faster) and costs a few
//   percent where the channel counts are closer, so the plan takes it only there.
//
// The functors below are the shared bodies: operator()(i) is one element (the GPU's thread),
// row(r) one channel run (the CPU's inner loop, contiguous and vectorizable). Both compute
// every element by the same operations in the same order, so they agree bit for bit.
#pragma once

#include <cstdint>
#include <string>

#include "kernels/cuda/context.h"
#include "kernels/hd.h"
#include "kernels/window2d.h"

namespace rethink::kernels {

// col rows viewed as [pixels * KH * KW, Cin]: row r is output pixel r / (KH*KW) at window
// position (kh, kw) = ((r / KW) % KH, r % KW).
template <class T>
struct Im2col {
  const T* x;  // [shape.batch, in_h, in_w, in_c]
  WindowedShape shape;
  T* col;  // [shape.out_pixels(), KH*KW*in_c]

  // Start of the input channel run that row r copies, or nullptr where it reads padding.
  RT_HD const T* source(int64_t r) const {
    const Window2d& win = shape.window;
    const int64_t kw = r % win.kernel_w;
    int64_t q = r / win.kernel_w;
    const int64_t kh = q % win.kernel_h;
    q /= win.kernel_h;
    const int64_t ow = q % shape.out_w;
    q /= shape.out_w;
    const int64_t oh = q % shape.out_h;
    const int64_t n = q / shape.out_h;
    const int64_t h = oh * win.stride_h - win.pad.top + kh;
    const int64_t w = ow * win.stride_w - win.pad.left + kw;
    if (h < 0 || h >= shape.in_h || w < 0 || w >= shape.in_w) return nullptr;
    return x + ((n * shape.in_h + h) * shape.in_w + w) * shape.in_c;
  }

  RT_HD void row(int64_t r) const {
    const T* src = source(r);
    T* dst = col + r * shape.in_c;
    if (src) {
      for (int64_t c = 0; c < shape.in_c; ++c) dst[c] = src[c];
    } else {
      for (int64_t c = 0; c < shape.in_c; ++c) dst[c] = T(0);
    }
  }

  RT_HD void operator()(int64_t i) const {
    const T* src = source(i / shape.in_c);
    col[i] = src ? src[i % shape.in_c] : T(0);
  }

  RT_HD int64_t rows() const {
    return shape.out_pixels() * shape.window.kernel_h * shape.window.kernel_w;
  }
};

// dx[n, h, w, c] = sum over the (kh, kw) whose window position (oh, ow) reads input (h, w):
// dcol[(n, oh, ow), (kh, kw, c)], summed in increasing kh, then kw. Rows are input pixels.
template <class T>
struct Col2imGather {
  const T* dcol;  // [shape.out_pixels(), KH*KW*in_c]
  WindowedShape shape;
  T* dx;  // [shape.batch, in_h, in_w, in_c]

  // Output position along one axis whose window tap `k` lands on input `in`, or -1.
  RT_HD static int64_t out_pos(int64_t in, int64_t k, int64_t pad_before, int64_t stride,
                               int64_t out_size) {
    const int64_t t = in + pad_before - k;
    if (t < 0 || t % stride != 0) return -1;
    const int64_t o = t / stride;
    return o < out_size ? o : -1;
  }

  // Calls add(run) for each dcol channel run that reads input pixel `p`, in the fixed order.
  template <class Add>
  RT_HD void for_each_run(int64_t p, const Add& add) const {
    const Window2d& win = shape.window;
    const int64_t w = p % shape.in_w;
    const int64_t q = p / shape.in_w;
    const int64_t h = q % shape.in_h;
    const int64_t n = q / shape.in_h;
    const int64_t taps = win.kernel_h * win.kernel_w;
    for (int64_t kh = 0; kh < win.kernel_h; ++kh) {
      const int64_t oh = out_pos(h, kh, win.pad.top, win.stride_h, shape.out_h);
      if (oh < 0) continue;
      for (int64_t kw = 0; kw < win.kernel_w; ++kw) {
        const int64_t ow = out_pos(w, kw, win.pad.left, win.stride_w, shape.out_w);
        if (ow < 0) continue;
        const int64_t pixel = (n * shape.out_h + oh) * shape.out_w + ow;
        add(dcol + (pixel * taps + kh * win.kernel_w + kw) * shape.in_c);
      }
    }
  }

  RT_HD void row(int64_t p) const {
    T* dst = dx + p * shape.in_c;
    const int64_t channels = shape.in_c;
    for (int64_t c = 0; c < channels; ++c) dst[c] = T(0);
    for_each_run(p, [&](const T* run) {
      for (int64_t c = 0; c < channels; ++c) dst[c] += run[c];
    });
  }

  RT_HD void operator()(int64_t i) const {
    const int64_t c = i % shape.in_c;
    T acc = T(0);
    for_each_run(i / shape.in_c, [&](const T* run) { acc += run[c]; });
    dx[i] = acc;
  }

  RT_HD int64_t rows() const { return shape.in_pixels(); }
};

// w_t[c, kh, kw, o] = w[o, KH-1-kh, KW-1-kw, c]: the weights of the transposed convolution,
// [in_c, KH, KW, out_c], indexed by i over that array.
template <class T>
struct FlipConvWeights {
  const T* w;  // [out_c, kernel_h, kernel_w, in_c]
  int64_t out_c, kernel_h, kernel_w, in_c;
  T* flipped;

  RT_HD void operator()(int64_t i) const {
    const int64_t o = i % out_c;
    int64_t q = i / out_c;
    const int64_t kw = q % kernel_w;
    q /= kernel_w;
    const int64_t kh = q % kernel_h;
    const int64_t c = q / kernel_h;
    flipped[i] =
        w[((o * kernel_h + (kernel_h - 1 - kh)) * kernel_w + (kernel_w - 1 - kw)) * in_c + c];
  }
};

// The stride-1 convolution that maps dy [N, out_h, out_w, out_c] to dx [N, in_h, in_w, in_c]:
// padding kernel - 1 - pad on every side. Only for stride-1 windows padded by less than the
// kernel on every side (out_h/out_w of the result are then in_h/in_w).
RT_HD WindowedShape transposed_conv_shape(const WindowedShape& s, int64_t out_c) {
  Window2d t = s.window;
  t.pad = {s.window.kernel_h - 1 - s.window.pad.top, s.window.kernel_h - 1 - s.window.pad.bottom,
           s.window.kernel_w - 1 - s.window.pad.left, s.window.kernel_w - 1 - s.window.pad.right};
  return WindowedShape::make(s.batch, s.out_h, s.out_w, out_c, t);
}

// How a convolution is cut into GEMMs: tiles of whole images, each one im2col into a buffer
// that stays in cache and one GEMM per product. With enough tiles, the threads take whole
// tiles (each tile's GEMM single-threaded); with fewer tiles than that, the tiles run one
// after another and the GEMMs use every thread. A tile's result does not depend on which
// thread runs it, and the weight gradient sums fixed groups of tiles in a fixed order, so
// the result does not depend on the thread count either.
//
// On a CPU with AVX-512 (or with AVX2 when RETHINK_CPU_KERNELS=avx2), float32 convolutions
// take the implicit-GEMM engine instead (kernels/cpu/implicit_gemm.h): each tile of images is
// copied once into a zero-padded buffer and the GEMM reads its rows from there, so there is no col
// matrix; dx at stride 1 is the transposed convolution the same way, and dw sums outer products
// pixel by pixel. Its tiles hold the padded images (and, backward, the padded dy or dx's dcol)
// instead of col rows.
enum class Conv2dEngine {
  kAuto,      // implicit GEMM where it runs (float32, implicit_gemm::available()), else im2col
  kIm2col,    // im2col + BLAS GEMM (the CUDA plan's, and float64's)
  kImplicit,  // implicit GEMM; the plan refuses it where it cannot run
};

struct Conv2dPlan {
  WindowedShape shape;
  int64_t out_c = 0;
  int64_t tile_images = 0;  // >= 1 unless the batch is empty
  int64_t threads = 1;
  bool parallel_tiles = false;  // threads take whole tiles
  // dx by the transposed convolution rather than dcol + col2im (see the top of this file):
  // chosen at stride 1 when 3 * out_c <= in_c.
  bool transposed_dx = false;
  WindowedShape transposed;  // its shape, when transposed_dx
  bool implicit = false;     // the implicit-GEMM engine (then transposed_dx is its dx rule)

  // Is the implicit-GEMM engine there for `element_size`-byte elements on this CPU?
  static bool implicit_available(int64_t element_size);
  // "implicit GEMM (AVX-512)", "implicit GEMM (AVX2)" or "im2col + BLAS": this plan's engine,
  // or the one kAuto picks for `element_size`-byte elements.
  std::string engine_name() const;
  static std::string auto_engine_name(int64_t element_size);

  // Per-thread col-buffer budget: see kDefaultConv2dTileBytes in kernels/cpu/conv2d.cpp.
  static int64_t default_tile_bytes();

  // Tiles of the most images whose col buffer of `element_size`-byte elements fits
  // `tile_bytes` (at least one image). `threads` <= 0: OpenMP's current thread count.
  static Conv2dPlan make(const WindowedShape& shape, int64_t out_c, int64_t element_size,
                         int64_t tile_bytes = default_tile_bytes(), int threads = 0,
                         Conv2dEngine engine = Conv2dEngine::kAuto);

  int64_t col_cols() const { return shape.window.kernel_h * shape.window.kernel_w * shape.in_c; }
  int64_t pixels_per_image() const { return shape.out_h * shape.out_w; }
  int64_t tiles() const {
    return tile_images > 0 ? (shape.batch + tile_images - 1) / tile_images : 0;
  }
  // Groups of consecutive tiles that each sum one partial weight gradient.
  int64_t weight_groups() const;
  // One thread's col buffer (none for a pointwise window: x is the col matrix); with
  // transposed_dx it also holds the im2col of dy. For the implicit engine: one thread's padded
  // images (padded_image_elements() per image).
  int64_t tile_elements() const;
  // Workspace elements conv2d_forward and conv2d_backward need.
  int64_t forward_workspace_elements() const;
  int64_t backward_workspace_elements() const;

  // The implicit engine's buffers: one padded image (none where the window does not pad: x
  // is read as it lies), and one thread's buffer for the backward's dx (the padded dy, dcol
  // rows, or nothing for a pointwise window).
  int64_t padded_image_elements() const {
    return shape.window.pads() ? shape.padded_h() * shape.padded_w() * shape.in_c : 0;
  }
  int64_t dx_tile_elements() const;
};

namespace cpu {

// im2col / col2im of `shape.batch` images starting at the given pointers.
template <class T>
void im2col(const T* x, const WindowedShape& shape, T* col);
template <class T>
void col2im(const T* dcol, const WindowedShape& shape, T* dx);

// y = conv(x, w) + b (b may be null); `workspace` holds plan.forward_workspace_elements().
template <class T>
void conv2d_forward(const Conv2dPlan& plan, const T* x, const T* w, const T* b, T* y, T* workspace);

// Any of dx, dw, db may be null (not wanted). dx is overwritten; dw and db are overwritten, or
// added to when their `accumulate_*` flag is set (gradient buffers). `workspace` holds
// plan.backward_workspace_elements().
template <class T>
void conv2d_backward(const Conv2dPlan& plan, const T* x, const T* w, const T* dy, T* dx, T* dw,
                     bool accumulate_dw, T* db, bool accumulate_db, T* workspace);

}  // namespace cpu

namespace cuda {

// Col-buffer budget of one GPU tile: the whole batch for most of the paper's convolutions at
// batch 128 (the largest, 28x28 with 96 channels in and a 3x3 window, takes two tiles), yet a
// bounded workspace whatever the batch.
inline constexpr int64_t kDefaultConv2dTileBytes = int64_t{256} << 20;

// Tiles of whole images, run one after another on the stream (the GEMMs fill the GPU by
// themselves), each tile's col buffer within `tile_bytes`.
inline Conv2dPlan conv2d_plan(const WindowedShape& shape, int64_t out_c, int64_t element_size,
                              int64_t tile_bytes = kDefaultConv2dTileBytes) {
  return Conv2dPlan::make(shape, out_c, element_size, tile_bytes, /*threads=*/1,
                          Conv2dEngine::kIm2col);
}
// Workspace elements of either direction: one tile's col buffer, then (for a transposed_dx
// backward) the flipped weights.
inline int64_t conv2d_workspace_elements(const Conv2dPlan& plan) {
  return plan.tile_elements() + (plan.transposed_dx ? plan.out_c * plan.col_cols() : 0);
}
// Bytes of reduction workspace the backward needs for the bias gradient.
int64_t conv2d_backward_reduce_bytes(const Conv2dPlan& plan);

template <class T>
void im2col(const T* x, const WindowedShape& shape, T* col, Stream stream);
template <class T>
void col2im(const T* dcol, const WindowedShape& shape, T* dx, Stream stream);

// As cpu::conv2d_forward, with cuBLAS GEMMs (ctx's math mode) on ctx.stream.
template <class T>
void conv2d_forward(const Context& ctx, const Conv2dPlan& plan, const T* x, const T* w, const T* b,
                    T* y, T* workspace);
// As cpu::conv2d_backward. The weight gradient accumulates tile by tile in the GEMMs (beta 1
// after the first tile, or from the start with accumulate_dw): a fixed order, no atomics.
template <class T>
void conv2d_backward(const Context& ctx, const Conv2dPlan& plan, const T* x, const T* w,
                     const T* dy, T* dx, T* dw, bool accumulate_dw, T* db, bool accumulate_db,
                     T* workspace, void* reduce_workspace);

}  // namespace cuda

}  // namespace rethink::kernels
