#include "kernels/conv2d.h"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/bias.h"
#include "kernels/check.h"
#include "kernels/cpu/conv2d_implicit.h"
#include "kernels/cpu/for_each.h"
#include "kernels/cpu/implicit_gemm.h"
#include "kernels/gemm.h"

namespace rethink::kernels {
namespace {

// Chosen from bench/kernels/conv2d_bench.cpp's --budgets rows (2 threads, batch 128, every
// small-Inception layer summed): 1 to 4 MiB per thread are within 1% of each other and 2 MiB
// the best overall; 256 KiB is 3-7% slower, 8 MiB and more 5-40% (docs/BENCHMARKS.md).
constexpr int64_t kDefaultConv2dTileBytes = int64_t{2} << 20;

// Partial weight gradients are summed in at most this many groups of tiles: enough to keep the
// threads of a small machine busy, few enough that the partials stay small. A constant, so
// that the summation order does not depend on the thread count.
constexpr int64_t kMaxWeightGroups = 16;

// dx by the transposed convolution once Cin is at least this many times Cout (kernels/conv2d.h).
constexpr int64_t kTransposedDxChannelRatio = 3;

// The implicit engine's dx by the transposed convolution from this many input channels (one
// AVX-512 vector, two of AVX2); below it dcol + col2im, whose GEMM is KH*KW*Cin wide (the first
// layer's 3 channels: 27 columns instead of 3).
constexpr int64_t kImplicitTransposedDxMinChannels = 16;

// Tiles per thread below which the threads share each tile's GEMM instead.
constexpr int64_t kMinTilesPerThread = 2;

}  // namespace

int64_t Conv2dPlan::default_tile_bytes() { return kDefaultConv2dTileBytes; }

std::string Conv2dPlan::engine_name() const {
  if (!implicit) return "im2col + BLAS";
  return fmt::format("implicit GEMM ({})",
                     cpu::implicit_gemm::isa_name(cpu::implicit_gemm::active_isa()));
}

std::string Conv2dPlan::auto_engine_name(int64_t element_size) {
  Conv2dPlan plan;
  plan.implicit = implicit_available(element_size);
  return plan.engine_name();
}

bool Conv2dPlan::implicit_available(int64_t element_size) {
  return element_size == int64_t{sizeof(float)} && cpu::implicit_gemm::available();
}

Conv2dPlan Conv2dPlan::make(const WindowedShape& shape, int64_t out_c, int64_t element_size,
                            int64_t tile_bytes, int threads, Conv2dEngine engine) {
  RT_CHECK(shape.batch >= 0 && shape.in_h > 0 && shape.in_w > 0 && shape.in_c > 0 && out_c > 0,
           "conv2d: bad sizes batch={} in={}x{}x{} out_c={}", shape.batch, shape.in_h, shape.in_w,
           shape.in_c, out_c);
  RT_CHECK(shape.out_h > 0 && shape.out_w > 0, "conv2d: empty output {}x{}", shape.out_h,
           shape.out_w);
  RT_CHECK(
      engine != Conv2dEngine::kImplicit || implicit_available(element_size),
      "conv2d: the implicit-GEMM engine needs float32 and a CPU with AVX2 or AVX-512 (asked "
      "for {}-byte elements{})",
      element_size,
      cpu::implicit_gemm::available() ? "" : " on a CPU without them, or RETHINK_CPU_KERNELS=blas");
  Conv2dPlan plan;
  plan.shape = shape;
  plan.out_c = out_c;
  plan.threads = threads > 0 ? threads : omp_get_max_threads();
  plan.implicit = engine == Conv2dEngine::kImplicit ||
                  (engine == Conv2dEngine::kAuto && implicit_available(element_size));
  if (shape.batch > 0) {
    // What one image of a tile keeps in cache: its col rows, or for the implicit engine
    // everything a backward tile touches (the padded input, dx, dy and the padded dy: the
    // weight gradient sweeps the first and third once per register block).
    const int64_t in_image = shape.in_h * shape.in_w * shape.in_c;
    const int64_t out_image = plan.pixels_per_image() * out_c;
    const int64_t image_elements =
        plan.implicit ? std::max(plan.padded_image_elements(), in_image) + in_image + 2 * out_image
                      : plan.pixels_per_image() * plan.col_cols();
    plan.tile_images =
        std::clamp<int64_t>(tile_bytes / (image_elements * element_size), 1, shape.batch);
  }
  const Window2d& win = shape.window;
  // The implicit engine's transposed convolution costs what the forward does, so it takes it
  // wherever Cin fills a vector (its GEMM is Cin wide); im2col pays for the dy col rows (see
  // kernels/conv2d.h).
  const bool worth_it = plan.implicit ? shape.in_c >= kImplicitTransposedDxMinChannels
                                      : kTransposedDxChannelRatio * out_c <= shape.in_c;
  plan.transposed_dx = !win.is_pointwise() && win.stride_h == 1 && win.stride_w == 1 && worth_it &&
                       win.pad.top < win.kernel_h && win.pad.bottom < win.kernel_h &&
                       win.pad.left < win.kernel_w && win.pad.right < win.kernel_w;
  if (plan.transposed_dx) plan.transposed = transposed_conv_shape(shape, out_c);
  plan.parallel_tiles = plan.threads > 1 && plan.tiles() >= kMinTilesPerThread * plan.threads;
  if (!plan.parallel_tiles) plan.threads = 1;  // one col buffer: the tiles take turns
  return plan;
}

int64_t Conv2dPlan::weight_groups() const { return std::min(tiles(), kMaxWeightGroups); }

int64_t Conv2dPlan::tile_elements() const {
  if (implicit) return tile_images * padded_image_elements();
  if (shape.window.is_pointwise()) return 0;
  const int64_t col = pixels_per_image() * col_cols();
  const int64_t dy_col =
      shape.in_h * shape.in_w * shape.window.kernel_h * shape.window.kernel_w * out_c;
  return tile_images * (transposed_dx ? std::max(col, dy_col) : col);
}

int64_t Conv2dPlan::dx_tile_elements() const {
  if (!implicit || shape.window.is_pointwise()) return 0;
  if (!transposed_dx) return tile_images * pixels_per_image() * col_cols();  // dcol rows
  return tile_images * transposed.padded_h() * transposed.padded_w() * transposed.in_c;
}

int64_t Conv2dPlan::forward_workspace_elements() const {
  const int64_t packed = implicit ? cpu::conv2d_implicit_forward_packed_elements(*this) : 0;
  return packed + threads * tile_elements();
}

int64_t Conv2dPlan::backward_workspace_elements() const {
  const int64_t w_size = out_c * col_cols();
  if (implicit) {
    // At least the forward's, so that one workspace serves both directions.
    return std::max(forward_workspace_elements(),
                    cpu::conv2d_implicit_backward_packed_elements(*this) +
                        threads * (tile_elements() + dx_tile_elements()) +
                        weight_groups() * w_size);
  }
  return threads * tile_elements() + weight_groups() * w_size + (transposed_dx ? w_size : 0);
}

namespace cpu {

// im2col and col2im give exactly Im2col's and Col2imGather's results (the same copies, the same
// sums in the same order), but walk the images line by line instead of dividing a row index
// into (n, oh, ow, kh, kw) for every channel run: five integer divisions per run of in_c
// values cost more than the copy itself where in_c is a few dozen (measured: im2col was a
// fifth of a 3x3 convolution's forward at one thread).
template <class T>
void im2col(const T* x, const WindowedShape& shape, T* col) {
  const Window2d& win = shape.window;
  const int64_t c = shape.in_c, taps_w = win.kernel_w;
  const int64_t row_size = win.kernel_h * taps_w * c;  // one col row: one output pixel
  const int64_t lines = shape.batch * shape.out_h;     // (n, oh)
#pragma omp parallel for schedule(static) if (lines * shape.out_w * row_size >= kMinParallelWork)
  for (int64_t line = 0; line < lines; ++line) {
    const int64_t n = line / shape.out_h, oh = line % shape.out_h;
    const T* image = x + n * shape.in_h * shape.in_w * c;
    T* dst = col + line * shape.out_w * row_size;
    for (int64_t ow = 0; ow < shape.out_w; ++ow) {
      // The taps [lo, hi) of a window row read inside the image: in NHWC one contiguous run.
      const int64_t w0 = ow * win.stride_w - win.pad.left;
      const int64_t lo = std::clamp<int64_t>(-w0, 0, taps_w);
      const int64_t hi = std::clamp<int64_t>(shape.in_w - w0, lo, taps_w);
      for (int64_t kh = 0; kh < win.kernel_h; ++kh, dst += taps_w * c) {
        const int64_t h = oh * win.stride_h - win.pad.top + kh;
        if (h < 0 || h >= shape.in_h || lo == hi) {
          std::fill(dst, dst + taps_w * c, T(0));
          continue;
        }
        std::fill(dst, dst + lo * c, T(0));
        const T* src = image + (h * shape.in_w + w0 + lo) * c;
        std::copy(src, src + (hi - lo) * c, dst + lo * c);
        std::fill(dst + hi * c, dst + taps_w * c, T(0));
      }
    }
  }
}

template <class T>
void col2im(const T* dcol, const WindowedShape& shape, T* dx) {
  const Window2d& win = shape.window;
  const int64_t c = shape.in_c, kh_n = win.kernel_h, kw_n = win.kernel_w, taps = kh_n * kw_n;
  // The output row (column) each tap of each input row (column) lands on, or -1: once per call.
  std::vector<int64_t> oh_of(static_cast<size_t>(shape.in_h * kh_n));
  std::vector<int64_t> ow_of(static_cast<size_t>(shape.in_w * kw_n));
  for (int64_t h = 0; h < shape.in_h; ++h) {
    for (int64_t kh = 0; kh < kh_n; ++kh) {
      oh_of[static_cast<size_t>(h * kh_n + kh)] =
          Col2imGather<T>::out_pos(h, kh, win.pad.top, win.stride_h, shape.out_h);
    }
  }
  for (int64_t w = 0; w < shape.in_w; ++w) {
    for (int64_t kw = 0; kw < kw_n; ++kw) {
      ow_of[static_cast<size_t>(w * kw_n + kw)] =
          Col2imGather<T>::out_pos(w, kw, win.pad.left, win.stride_w, shape.out_w);
    }
  }
  const int64_t lines = shape.batch * shape.in_h;  // (n, h)
#pragma omp parallel for schedule(static) if (lines * shape.in_w * c >= kMinParallelWork)
  for (int64_t line = 0; line < lines; ++line) {
    const int64_t n = line / shape.in_h, h = line % shape.in_h;
    for (int64_t w = 0; w < shape.in_w; ++w) {
      T* dst = dx + (line * shape.in_w + w) * c;
      std::fill(dst, dst + c, T(0));
      for (int64_t kh = 0; kh < kh_n; ++kh) {  // Col2imGather's order: kh, then kw
        const int64_t oh = oh_of[static_cast<size_t>(h * kh_n + kh)];
        if (oh < 0) continue;
        for (int64_t kw = 0; kw < kw_n; ++kw) {
          const int64_t ow = ow_of[static_cast<size_t>(w * kw_n + kw)];
          if (ow < 0) continue;
          const int64_t pixel = (n * shape.out_h + oh) * shape.out_w + ow;
          const T* run = dcol + (pixel * taps + kh * kw_n + kw) * c;
          for (int64_t i = 0; i < c; ++i) dst[i] += run[i];
        }
      }
    }
  }
}

// Inside a parallel_tiles region every call below runs on its own thread: OpenBLAS runs
// single-threaded inside an active OpenMP region, and the nested loops of im2col, col2im and
// the bias get a team of one.
template <class T>
void conv2d_forward(const Conv2dPlan& plan, const T* x, const T* w, const T* b, T* y,
                    T* workspace) {
  if constexpr (std::is_same_v<T, float>) {
    if (plan.implicit) return conv2d_forward_implicit(plan, x, w, b, y, workspace);
  }
  const WindowedShape& s = plan.shape;
  const int64_t k = plan.col_cols(), out_c = plan.out_c, ppi = plan.pixels_per_image();
  const int64_t in_image = s.in_h * s.in_w * s.in_c, tiles = plan.tiles();
  const bool pointwise = s.window.is_pointwise();
#pragma omp parallel for schedule(dynamic) num_threads(plan.threads) if (plan.parallel_tiles)
  for (int64_t t = 0; t < tiles; ++t) {
    const int64_t n0 = t * plan.tile_images;
    const int64_t images = std::min(plan.tile_images, s.batch - n0);
    const int64_t rows = images * ppi;
    const T* col = x + n0 * in_image;
    if (!pointwise) {
      T* buffer = workspace + omp_get_thread_num() * plan.tile_elements();
      im2col(col, s.with_batch(images), buffer);
      col = buffer;
    }
    T* y_tile = y + n0 * ppi * out_c;
    gemm<T>(false, true, rows, out_c, k, 1, col, k, w, k, 0, y_tile, out_c);
    if (b) bias_add_rows(b, rows, out_c, y_tile);
  }
}

template <class T>
void conv2d_backward(const Conv2dPlan& plan, const T* x, const T* w, const T* dy, T* dx, T* dw,
                     bool accumulate_dw, T* db, bool accumulate_db, T* workspace) {
  if constexpr (std::is_same_v<T, float>) {
    if (plan.implicit) {
      return conv2d_backward_implicit(plan, x, w, dy, dx, dw, accumulate_dw, db, accumulate_db,
                                      workspace);
    }
  }
  const WindowedShape& s = plan.shape;
  const int64_t k = plan.col_cols(), out_c = plan.out_c, ppi = plan.pixels_per_image();
  const int64_t in_image = s.in_h * s.in_w * s.in_c, tiles = plan.tiles();
  const int64_t groups = plan.weight_groups(), w_size = out_c * k;
  const bool pointwise = s.window.is_pointwise();
  T* partials = workspace + plan.threads * plan.tile_elements();
  T* flipped = partials + groups * w_size;  // transposed_dx only
  if (db) bias_grad_rows(dy, s.out_pixels(), out_c, db, accumulate_db);
  const bool transposed = dx && plan.transposed_dx;
  if (transposed) {
    for_each(w_size,
             FlipConvWeights<T>{w, out_c, s.window.kernel_h, s.window.kernel_w, s.in_c, flipped});
  }

#pragma omp parallel for schedule(dynamic) num_threads(plan.threads) if (plan.parallel_tiles)
  for (int64_t g = 0; g < groups; ++g) {
    T* buffer = workspace + omp_get_thread_num() * plan.tile_elements();
    const int64_t first = g * tiles / groups, last = (g + 1) * tiles / groups;
    for (int64_t t = first; t < last; ++t) {
      const int64_t n0 = t * plan.tile_images;
      const int64_t images = std::min(plan.tile_images, s.batch - n0);
      const int64_t rows = images * ppi;
      const WindowedShape tile = s.with_batch(images);
      const T* dy_tile = dy + n0 * ppi * out_c;
      T* dx_tile = dx ? dx + n0 * in_image : nullptr;
      if (dw) {
        const T* col = x + n0 * in_image;
        if (!pointwise) {
          im2col(col, tile, buffer);
          col = buffer;
        }
        gemm<T>(true, false, out_c, k, rows, 1, dy_tile, out_c, col, k, t > first ? T(1) : T(0),
                partials + g * w_size, k);
      }
      if (dx && pointwise) {
        gemm<T>(false, false, rows, k, out_c, 1, dy_tile, out_c, w, k, 0, dx_tile, k);
      } else if (transposed) {
        // dx = conv(dy, flipped): the forward's im2col + GEMM on dy (the buffer is free again).
        const WindowedShape t_tile = plan.transposed.with_batch(images);
        im2col(dy_tile, t_tile, buffer);
        gemm<T>(false, true, t_tile.out_pixels(), s.in_c, k / s.in_c * out_c, 1, buffer,
                k / s.in_c * out_c, flipped, k / s.in_c * out_c, 0, dx_tile, s.in_c);
      } else if (dx) {
        // The col buffer is free again: it now holds dcol.
        gemm<T>(false, false, rows, k, out_c, 1, dy_tile, out_c, w, k, 0, buffer, k);
        col2im(buffer, tile, dx_tile);
      }
    }
  }

  if (dw) sum_weight_partials(partials, groups, w_size, dw, accumulate_dw);
}

template <class T>
void sum_weight_partials(const T* partials, int64_t groups, int64_t w_size, T* dw,
                         bool accumulate) {
#pragma omp parallel for schedule(static) if (groups * w_size >= kMinParallelWork)
  for (int64_t i = 0; i < w_size; ++i) {
    T sum = accumulate ? dw[i] : T(0);
    for (int64_t g = 0; g < groups; ++g) sum += partials[g * w_size + i];
    dw[i] = sum;
  }
}

#define RT_INSTANTIATE(T)                                                                         \
  template void im2col<T>(const T*, const WindowedShape&, T*);                                    \
  template void col2im<T>(const T*, const WindowedShape&, T*);                                    \
  template void conv2d_forward<T>(const Conv2dPlan&, const T*, const T*, const T*, T*, T*);       \
  template void conv2d_backward<T>(const Conv2dPlan&, const T*, const T*, const T*, T*, T*, bool, \
                                   T*, bool, T*);                                                 \
  template void sum_weight_partials<T>(const T*, int64_t, int64_t, T*, bool);
RT_INSTANTIATE(float)
RT_INSTANTIATE(double)
#undef RT_INSTANTIATE

}  // namespace cpu
}  // namespace rethink::kernels
