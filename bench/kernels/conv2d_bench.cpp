// conv2d on the CPU at every distinct convolution of the small Inception (PAPER.md 4.1),
// batch 128, next to OpenBLAS's SGEMM rate, so that "conv at >= 70% of SGEMM" can be read off.
//
//   conv2d_bench [--threads=N] [--batch=N] [--engine=E] [--phases] [--budgets]
//                [Google Benchmark flags]
//
// Rows:
//   sgemm/square:2048            the machine's SGEMM rate (through kernels::cpu::gemm)
//   sgemm_fwd/<conv>             the forward's GEMM alone, whole batch: [pixels, K] x [K, Cout]
//   sgemm_bwd/<conv>             the backward's two GEMMs alone (dW = dY^T col, dcol = dY W)
//   conv2d_fwd/<conv>            y = conv(x, w) + b, the kernel entry point as the op calls it
//   conv2d_bwd/<conv>            dx + dW + db
// Counters: GFLOP/s (2 * pixels * Cout * KH*KW*Cin per GEMM-equivalent product: forward 1,
// backward 2) and vs_sgemm, that rate over the square SGEMM rate measured at start-up.
//
// --engine picks the CPU convolution engine (kernels/conv2d.h): auto (the default: implicit GEMM
// on AVX2/AVX-512), im2col (im2col + OpenBLAS) or implicit.
// --phases splits each conv2d row of the im2col engine into milliseconds of im2col, GEMM,
// col2im and the rest (bias, weight-gradient sum) per thread: the same calls the kernel makes
// in the same tiles, timed one by one. --budgets adds conv rows at several per-thread col-buffer
// budgets (256 KiB to the whole batch), from which kernels/cpu/conv2d.cpp's default tile size is
// chosen.
// --threads (or RETHINK_THREADS) sets the OpenMP and OpenBLAS thread count (0: every core).
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "bench/kernels/inception_convs.h"
#include "kernels/bias.h"
#include "kernels/blas_info.h"
#include "kernels/conv2d.h"
#include "kernels/error.h"
#include "kernels/gemm.h"
#include "kernels/philox.h"
#include "runtime/tensor.h"
#include "runtime/threads.h"

namespace rethink {
namespace {

using bench::ConvSpec;
using bench::random_floats;

using kernels::Conv2dPlan;
using kernels::PaddingMode;
using kernels::Window2d;
using kernels::WindowedShape;
using Clock = std::chrono::steady_clock;

int64_t g_batch = 128;
bool g_phases = false;
bool g_budgets = false;
kernels::Conv2dEngine g_engine = kernels::Conv2dEngine::kAuto;
bool g_failed = false;  // a result was not finite: exit non-zero, so the smoke run fails
double g_sgemm_gflops = 0;

bool all_finite(const Tensor& t) {
  const float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (!std::isfinite(p[i])) return false;
  }
  return true;
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct Problem {
  WindowedShape shape;
  Conv2dPlan plan;
  Tensor x, w, b, y, dy, dx, dw, db, workspace;

  Problem(const ConvSpec& spec, int64_t budget_bytes) {
    const Window2d win = Window2d::make(spec.kernel, spec.kernel, spec.stride, PaddingMode::kSame,
                                        spec.size, spec.size);
    shape = WindowedShape::make(g_batch, spec.size, spec.size, spec.in_c, win);
    plan = Conv2dPlan::make(shape, spec.out_c, sizeof(float), budget_bytes, 0, g_engine);
    x = random_floats(shape.in_pixels() * spec.in_c, 1);
    w = random_floats(spec.out_c * plan.col_cols(), 2);
    b = random_floats(spec.out_c, 3);
    dy = random_floats(shape.out_pixels() * spec.out_c, 4);
    y = Tensor::empty(Shape{shape.out_pixels() * spec.out_c});
    dx = Tensor::empty(x.shape());
    dw = Tensor::empty(w.shape());
    db = Tensor::empty(b.shape());
    workspace = Tensor::empty(Shape{std::max<int64_t>(plan.backward_workspace_elements(), 1)});
  }

  // One GEMM-equivalent product's flops.
  double product_flops() const {
    return 2.0 * static_cast<double>(shape.out_pixels()) * static_cast<double>(plan.out_c) *
           static_cast<double>(plan.col_cols());
  }
};

// Seconds per phase, summed over the threads (divided by the thread count when reported).
struct Phases {
  double im2col = 0, gemm = 0, col2im = 0, other = 0;
  Phases& operator+=(const Phases& o) {
    im2col += o.im2col;
    gemm += o.gemm;
    col2im += o.col2im;
    other += o.other;
    return *this;
  }
};

// A stopwatch that charges each lap to one phase.
struct Laps {
  Phases* phases;
  Clock::time_point t = Clock::now();
  void to(double Phases::*phase) {
    const Clock::time_point now = Clock::now();
    phases->*phase += std::chrono::duration<double>(now - t).count();
    t = now;
  }
};

// kernels/cpu/conv2d.cpp's forward, the same calls in the same tiles, each phase timed.
void forward_by_phase(const Problem& p, Phases* total) {
  const Conv2dPlan& plan = p.plan;
  const WindowedShape& s = p.shape;
  const int64_t k = plan.col_cols(), out_c = plan.out_c, ppi = plan.pixels_per_image();
  const int64_t in_image = s.in_h * s.in_w * s.in_c;
  std::vector<Phases> per_thread(static_cast<size_t>(plan.threads));
#pragma omp parallel for schedule(dynamic) num_threads(plan.threads) if (plan.parallel_tiles)
  for (int64_t t = 0; t < plan.tiles(); ++t) {
    Laps lap{&per_thread[static_cast<size_t>(omp_get_thread_num())]};
    const int64_t n0 = t * plan.tile_images, images = std::min(plan.tile_images, s.batch - n0);
    const float* col = p.x.data<float>() + n0 * in_image;
    if (!s.window.is_pointwise()) {
      float* buffer = p.workspace.data<float>() + omp_get_thread_num() * plan.tile_elements();
      kernels::cpu::im2col(col, s.with_batch(images), buffer);
      col = buffer;
      lap.to(&Phases::im2col);
    }
    float* y = p.y.data<float>() + n0 * ppi * out_c;
    kernels::cpu::gemm<float>(false, true, images * ppi, out_c, k, 1, col, k, p.w.data<float>(), k,
                              0, y, out_c);
    lap.to(&Phases::gemm);
    kernels::cpu::bias_add_rows(p.b.data<float>(), images * ppi, out_c, y);
    lap.to(&Phases::other);
  }
  for (const Phases& ph : per_thread) *total += ph;
}

void backward_by_phase(const Problem& p, Phases* total) {
  const Conv2dPlan& plan = p.plan;
  const WindowedShape& s = p.shape;
  const int64_t k = plan.col_cols(), out_c = plan.out_c, ppi = plan.pixels_per_image();
  const int64_t in_image = s.in_h * s.in_w * s.in_c, tiles = plan.tiles();
  const int64_t groups = plan.weight_groups(), w_size = out_c * k;
  const bool pointwise = s.window.is_pointwise();
  float* partials = p.workspace.data<float>() + plan.threads * plan.tile_elements();
  std::vector<Phases> per_thread(static_cast<size_t>(plan.threads));
  Laps outer{&per_thread[0]};
  kernels::cpu::bias_grad_rows(p.dy.data<float>(), s.out_pixels(), out_c, p.db.data<float>());
  outer.to(&Phases::other);
#pragma omp parallel for schedule(dynamic) num_threads(plan.threads) if (plan.parallel_tiles)
  for (int64_t g = 0; g < groups; ++g) {
    Laps lap{&per_thread[static_cast<size_t>(omp_get_thread_num())]};
    float* buffer = p.workspace.data<float>() + omp_get_thread_num() * plan.tile_elements();
    const int64_t first = g * tiles / groups, last = (g + 1) * tiles / groups;
    for (int64_t t = first; t < last; ++t) {
      const int64_t n0 = t * plan.tile_images, images = std::min(plan.tile_images, s.batch - n0);
      const float* dy = p.dy.data<float>() + n0 * ppi * out_c;
      float* dx = p.dx.data<float>() + n0 * in_image;
      const float* col = p.x.data<float>() + n0 * in_image;
      if (!pointwise) {
        kernels::cpu::im2col(col, s.with_batch(images), buffer);
        col = buffer;
        lap.to(&Phases::im2col);
      }
      kernels::cpu::gemm<float>(true, false, out_c, k, images * ppi, 1, dy, out_c, col, k,
                                t > first ? 1.f : 0.f, partials + g * w_size, k);
      kernels::cpu::gemm<float>(false, false, images * ppi, k, out_c, 1, dy, out_c,
                                p.w.data<float>(), k, 0, pointwise ? dx : buffer, k);
      lap.to(&Phases::gemm);
      if (!pointwise) {
        kernels::cpu::col2im(buffer, s.with_batch(images), dx);
        lap.to(&Phases::col2im);
      }
    }
  }
  outer.t = Clock::now();
  float* dw = p.dw.data<float>();
  for (int64_t i = 0; i < w_size; ++i) {
    float sum = 0;
    for (int64_t g = 0; g < groups; ++g) sum += partials[g * w_size + i];
    dw[i] = sum;
  }
  outer.to(&Phases::other);
  for (const Phases& ph : per_thread) *total += ph;
}

void report(benchmark::State& state, double flops_per_iteration, double seconds) {
  const double gflops =
      flops_per_iteration * static_cast<double>(state.iterations()) / seconds / 1e9;
  state.counters["GFLOP/s"] = gflops;
  if (g_sgemm_gflops > 0) state.counters["vs_sgemm"] = gflops / g_sgemm_gflops;
}

void report_phases(benchmark::State& state, const Phases& t, int64_t threads) {
  using benchmark::Counter;
  const double scale = 1e3 / static_cast<double>(threads);  // average thread, milliseconds
  state.counters["im2col_ms"] = Counter(scale * t.im2col, Counter::kAvgIterations);
  state.counters["gemm_ms"] = Counter(scale * t.gemm, Counter::kAvgIterations);
  state.counters["col2im_ms"] = Counter(scale * t.col2im, Counter::kAvgIterations);
  state.counters["other_ms"] = Counter(scale * t.other, Counter::kAvgIterations);
}

void conv_forward(benchmark::State& state, const ConvSpec& spec, int64_t budget) {
  Problem p(spec, budget);
  Phases phases;
  double seconds = 0;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    if (g_phases) {
      forward_by_phase(p, &phases);
    } else {
      kernels::cpu::conv2d_forward(p.plan, p.x.data<float>(), p.w.data<float>(), p.b.data<float>(),
                                   p.y.data<float>(), p.workspace.data<float>());
    }
    benchmark::ClobberMemory();
    seconds += seconds_since(t0);
  }
  if (!all_finite(p.y)) {
    g_failed = true;
    state.SkipWithError("the output is not finite");
    return;
  }
  report(state, p.product_flops(), seconds);
  state.counters["tile_images"] = static_cast<double>(p.plan.tile_images);
  state.counters["parallel_tiles"] = p.plan.parallel_tiles ? 1 : 0;
  if (g_phases) report_phases(state, phases, p.plan.threads);
}

void conv_backward(benchmark::State& state, const ConvSpec& spec, int64_t budget) {
  Problem p(spec, budget);
  Phases phases;
  double seconds = 0;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    if (g_phases) {
      backward_by_phase(p, &phases);
    } else {
      kernels::cpu::conv2d_backward(p.plan, p.x.data<float>(), p.w.data<float>(),
                                    p.dy.data<float>(), p.dx.data<float>(), p.dw.data<float>(),
                                    false, p.db.data<float>(), false, p.workspace.data<float>());
    }
    benchmark::ClobberMemory();
    seconds += seconds_since(t0);
  }
  if (!all_finite(p.dx) || !all_finite(p.dw) || !all_finite(p.db)) {
    g_failed = true;
    state.SkipWithError("a gradient is not finite");
    return;
  }
  report(state, 2 * p.product_flops(), seconds);
  state.counters["tile_images"] = static_cast<double>(p.plan.tile_images);
  state.counters["parallel_tiles"] = p.plan.parallel_tiles ? 1 : 0;
  if (g_phases) report_phases(state, phases, p.plan.threads);
}

// The conv's GEMMs over the whole batch, on a col matrix that is already there.
void sgemm_shape(benchmark::State& state, const ConvSpec& spec, bool backward) {
  Problem p(spec, int64_t{1} << 62);
  const int64_t m = p.shape.out_pixels(), n = p.plan.out_c, k = p.plan.col_cols();
  const Tensor col = random_floats(m * k, 5);
  Tensor out = Tensor::empty(Shape{m * k});
  double seconds = 0;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    if (backward) {
      kernels::cpu::gemm<float>(true, false, n, k, m, 1, p.dy.data<float>(), n, col.data<float>(),
                                k, 0, p.dw.data<float>(), k);
      kernels::cpu::gemm<float>(false, false, m, k, n, 1, p.dy.data<float>(), n, p.w.data<float>(),
                                k, 0, out.data<float>(), k);
    } else {
      kernels::cpu::gemm<float>(false, true, m, n, k, 1, col.data<float>(), k, p.w.data<float>(), k,
                                0, p.y.data<float>(), n);
    }
    benchmark::ClobberMemory();
    seconds += seconds_since(t0);
  }
  report(state, (backward ? 2 : 1) * p.product_flops(), seconds);
}

double square_sgemm_seconds(int64_t n, const Tensor& a, const Tensor& b, const Tensor& c) {
  const auto t0 = Clock::now();
  kernels::cpu::gemm<float>(false, false, n, n, n, 1, a.data<float>(), n, b.data<float>(), n, 0,
                            c.data<float>(), n);
  return seconds_since(t0);
}

constexpr int64_t kSquare = 2048;

void sgemm_square(benchmark::State& state) {
  const Tensor a = random_floats(kSquare * kSquare, 6), b = random_floats(kSquare * kSquare, 7);
  const Tensor c = Tensor::empty(Shape{kSquare * kSquare});
  double seconds = 0;
  for (auto _ : state) seconds += square_sgemm_seconds(kSquare, a, b, c);
  report(state, 2.0 * kSquare * kSquare * kSquare, seconds);
}

// The square SGEMM rate, best of a few runs after a warm-up: the reference for vs_sgemm.
double measure_sgemm_gflops() {
  const Tensor a = random_floats(kSquare * kSquare, 6), b = random_floats(kSquare * kSquare, 7);
  const Tensor c = Tensor::empty(Shape{kSquare * kSquare});
  square_sgemm_seconds(kSquare, a, b, c);
  double best = 1e30;
  for (int i = 0; i < 3; ++i) best = std::min(best, square_sgemm_seconds(kSquare, a, b, c));
  return 2.0 * kSquare * kSquare * kSquare / best / 1e9;
}

int parse_count(std::string_view text, std::string_view what, int min) {
  int value = -1;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || value < min) {
    throw UserError(fmt::format("{} '{}' is not a whole number >= {}", what, text, min));
  }
  return value;
}

// Removes our own flags from argv (Google Benchmark rejects flags it does not know) and returns
// the requested thread count (0: every core).
int take_our_flags(int* argc, char** argv) {
  int threads = 0;
  if (const char* env = std::getenv("RETHINK_THREADS"); env != nullptr && *env != '\0') {
    threads = parse_count(env, "RETHINK_THREADS", 0);
  }
  int kept = 1;
  for (int i = 1; i < *argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("--threads=")) {
      threads = parse_count(arg.substr(10), "--threads", 0);
    } else if (arg.starts_with("--batch=")) {
      g_batch = parse_count(arg.substr(8), "--batch", 1);
    } else if (arg == "--engine=auto") {
      g_engine = kernels::Conv2dEngine::kAuto;
    } else if (arg == "--engine=im2col") {
      g_engine = kernels::Conv2dEngine::kIm2col;
    } else if (arg == "--engine=implicit") {
      g_engine = kernels::Conv2dEngine::kImplicit;
    } else if (arg.starts_with("--engine=")) {
      throw UserError(fmt::format("--engine: '{}' is not auto, im2col or implicit", arg.substr(9)));
    } else if (arg == "--phases") {
      g_phases = true;
    } else if (arg == "--budgets") {
      g_budgets = true;
    } else {
      argv[kept++] = argv[i];
    }
  }
  *argc = kept;
  argv[kept] = nullptr;
  if (g_phases) g_engine = kernels::Conv2dEngine::kIm2col;  // the phases are that engine's
  return threads;
}

void register_benchmarks() {
  const auto ms = [](benchmark::internal::Benchmark* b) {
    b->UseRealTime()->Unit(benchmark::kMillisecond);  // several threads: wall time counts
  };
  ms(benchmark::RegisterBenchmark("sgemm/square:2048", sgemm_square));
  const int64_t budget = Conv2dPlan::default_tile_bytes();
  for (const ConvSpec& spec : bench::kInceptionConvs) {
    const std::string name = spec.name();
    ms(benchmark::RegisterBenchmark(("sgemm_fwd/" + name).c_str(),
                                    [spec](benchmark::State& s) { sgemm_shape(s, spec, false); }));
    ms(benchmark::RegisterBenchmark(
        ("conv2d_fwd/" + name).c_str(),
        [spec, budget](benchmark::State& s) { conv_forward(s, spec, budget); }));
    ms(benchmark::RegisterBenchmark(("sgemm_bwd/" + name).c_str(),
                                    [spec](benchmark::State& s) { sgemm_shape(s, spec, true); }));
    ms(benchmark::RegisterBenchmark(
        ("conv2d_bwd/" + name).c_str(),
        [spec, budget](benchmark::State& s) { conv_backward(s, spec, budget); }));
    if (!g_budgets) continue;
    for (const int64_t kib : {256, 512, 1024, 2048, 4096, 8192, 32768, 1 << 30}) {
      const std::string label = kib == 1 << 30 ? "whole" : fmt::format("{}KiB", kib);
      const int64_t bytes = kib << 10;
      ms(benchmark::RegisterBenchmark(
          fmt::format("conv2d_fwd/{}/budget:{}", name, label).c_str(),
          [spec, bytes](benchmark::State& s) { conv_forward(s, spec, bytes); }));
      ms(benchmark::RegisterBenchmark(
          fmt::format("conv2d_bwd/{}/budget:{}", name, label).c_str(),
          [spec, bytes](benchmark::State& s) { conv_backward(s, spec, bytes); }));
    }
  }
}

}  // namespace
}  // namespace rethink

int main(int argc, char** argv) {
  using namespace rethink;
  try {
    const int threads = set_thread_count(take_our_flags(&argc, argv));
    const kernels::cpu::BlasInfo blas = kernels::cpu::blas_info();
    benchmark::AddCustomContext("rethink_threads", std::to_string(threads));
    benchmark::AddCustomContext(
        "openblas", fmt::format("{} ({} threads, {})", blas.config, blas.threads, blas.threading));
    benchmark::AddCustomContext("batch", std::to_string(g_batch));
    const Conv2dPlan probe = Conv2dPlan::make(WindowedShape::make(1, 3, 3, 1, Window2d{}), 1,
                                              sizeof(float), 1, 1, g_engine);
    benchmark::AddCustomContext("conv2d_engine", probe.engine_name());
    benchmark::AddCustomContext("conv2d_tile_KiB",
                                std::to_string(kernels::Conv2dPlan::default_tile_bytes() >> 10));
    register_benchmarks();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
    g_sgemm_gflops = measure_sgemm_gflops();
    benchmark::AddCustomContext("sgemm_2048_GFLOP/s", fmt::format("{:.1f}", g_sgemm_gflops));
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    if (g_failed) return 1;
  } catch (const UserError& e) {
    fmt::print(stderr, "conv2d_bench: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "conv2d_bench: {}\n", e.what());
    return 1;
  }
  return 0;
}
