// The CUDA kernels on the GPU, timed with CUDA events on the device's stream:
//
//   cuda_kernels_bench [--batch=N] [Google Benchmark flags]
//
// Rows:
//   gemm/{fp32,tf32}:4096        cuBLAS's square SGEMM rate: the ceiling for the conv rows
//   conv2d_{fwd,bwd}/<conv>      our im2col + cuBLAS convolution at every distinct convolution
//                                of the small Inception (batch 128), next to cuDNN's on the
//                                same buffers: counters ours_ms, cudnn_ms, vs_cudnn (cuDNN's
//                                time over ours: > 1 means ours is faster), GFLOP/s (ours)
//   <op>                         element-wise and reduction kernels: GB/s counts each input
//                                read once and each output written once
//   train_step/<model>/<engine>  one SGD step of a zoo model at batch 128 (forward, backward,
//                                update) with our kernels or the cuDNN engine: images/s
// Without a usable GPU it prints why and exits 0, so its smoke run passes everywhere.
#include <benchmark/benchmark.h>
#include <cuda_runtime_api.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/kernels/inception_convs.h"
#include "kernels/batch_norm.h"
#include "kernels/bias.h"
#include "kernels/conv2d.h"
#include "kernels/cuda/check.h"
#include "kernels/cudnn/conv2d.h"
#include "kernels/dropout.h"
#include "kernels/error.h"
#include "kernels/gemm.h"
#include "kernels/lrn.h"
#include "kernels/max_pool2d.h"
#include "kernels/philox.h"
#include "kernels/relu.h"
#include "kernels/sgd.h"
#include "kernels/softmax_cross_entropy.h"
#include "models/zoo/registry.h"
#include "runtime/autograd.h"
#include "runtime/compute_settings.h"
#include "runtime/cuda_context.h"
#include "runtime/gpu.h"
#include "runtime/ops/softmax_cross_entropy.h"
#include "runtime/optim/sgd.h"
#include "runtime/parameter_slab.h"
#include "runtime/tensor.h"

namespace rethink {
namespace {

using kernels::PaddingMode;
using kernels::Window2d;
using kernels::WindowedShape;

int64_t g_batch = 128;
bool g_failed = false;  // a result was not finite: exit non-zero

const Device kGpu = Device::cuda(0);

// Uniform [-1, 1) float32 on the GPU (drawn on the host: never time zeros).
Tensor random_gpu(int64_t n, uint64_t seed) { return bench::random_floats(n, seed).to(kGpu); }

bool all_finite(const Tensor& t) {
  for (const float v : t.to_vector<float>()) {
    if (!std::isfinite(v)) return false;
  }
  return true;
}

cudaStream_t stream() { return reinterpret_cast<cudaStream_t>(cuda_stream(kGpu)); }

// Milliseconds of `run` on the stream, between two events.
double time_ms(const std::function<void()>& run) {
  cudaEvent_t start = nullptr, stop = nullptr;
  RT_CUDA_CHECK(cudaEventCreate(&start));
  RT_CUDA_CHECK(cudaEventCreate(&stop));
  RT_CUDA_CHECK(cudaEventRecord(start, stream()));
  run();
  RT_CUDA_CHECK(cudaEventRecord(stop, stream()));
  RT_CUDA_CHECK(cudaEventSynchronize(stop));
  float ms = 0;
  RT_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
  RT_CUDA_CHECK(cudaEventDestroy(start));
  RT_CUDA_CHECK(cudaEventDestroy(stop));
  return ms;
}

// Times `run` per iteration (after one warm-up), manual time for Google Benchmark; returns the
// total milliseconds.
double timed_loop(benchmark::State& state, const std::function<void()>& run) {
  run();
  RT_CUDA_CHECK(cudaStreamSynchronize(stream()));
  double total = 0;
  for (auto _ : state) {
    const double ms = time_ms(run);
    state.SetIterationTime(ms / 1e3);
    total += ms;
  }
  return total;
}

// The median of a few event-timed runs: the other engine's time, reported beside ours.
double median_ms(const std::function<void()>& run, int repeats = 7) {
  run();
  std::vector<double> t;
  for (int i = 0; i < repeats; ++i) t.push_back(time_ms(run));
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

void gemm_square(benchmark::State& state, MathMode math) {
  const int64_t n = 4096;
  const Tensor a = random_gpu(n * n, 1), b = random_gpu(n * n, 2);
  const Tensor c = Tensor::empty(Shape{n * n}, DType::kFloat32, kGpu);
  ComputeSettingsScope settings({.math = math});
  const kernels::cuda::Context ctx = cuda_context(kGpu);
  const double ms = timed_loop(state, [&] {
    kernels::cuda::gemm<float>(ctx, false, false, n, n, n, 1, a.data<float>(), n, b.data<float>(),
                               n, 0, c.data<float>(), n);
  });
  state.counters["TFLOP/s"] =
      2.0 * n * n * n * static_cast<double>(state.iterations()) / (ms / 1e3) / 1e12;
}

struct ConvProblem {
  WindowedShape shape;
  kernels::Conv2dPlan plan;
  Tensor x, w, b, y, dy, dx, dw, db, workspace, reduce, cudnn_workspace;
  int64_t cudnn_bytes = 0;
  kernels::cuda::Context ctx, dnn;

  explicit ConvProblem(const bench::ConvSpec& spec) {
    const Window2d win = Window2d::make(spec.kernel, spec.kernel, spec.stride, PaddingMode::kSame,
                                        spec.size, spec.size);
    shape = WindowedShape::make(g_batch, spec.size, spec.size, spec.in_c, win);
    plan = kernels::cuda::conv2d_plan(shape, spec.out_c, sizeof(float));
    x = random_gpu(shape.in_pixels() * spec.in_c, 1);
    w = random_gpu(spec.out_c * plan.col_cols(), 2);
    b = random_gpu(spec.out_c, 3);
    dy = random_gpu(shape.out_pixels() * spec.out_c, 4);
    y = Tensor::empty(dy.shape(), DType::kFloat32, kGpu);
    dx = Tensor::empty(x.shape(), DType::kFloat32, kGpu);
    dw = Tensor::empty(w.shape(), DType::kFloat32, kGpu);
    db = Tensor::empty(b.shape(), DType::kFloat32, kGpu);
    workspace =
        Tensor::empty(Shape{std::max<int64_t>(kernels::cuda::conv2d_workspace_elements(plan), 1)},
                      DType::kFloat32, kGpu);
    reduce = Tensor::empty(Shape{kernels::cuda::conv2d_backward_reduce_bytes(plan)}, DType::kUInt8,
                           kGpu);
    ctx = cuda_context(kGpu);
    dnn = cudnn_context(kGpu);
    cudnn_bytes = kernels::cudnn::conv2d_workspace_bytes(dnn, shape, spec.out_c, sizeof(float));
    cudnn_workspace = Tensor::empty(Shape{std::max<int64_t>(cudnn_bytes, 1)}, DType::kUInt8, kGpu);
  }

  double flops() const {
    return 2.0 * static_cast<double>(shape.out_pixels()) * static_cast<double>(plan.out_c) *
           static_cast<double>(plan.col_cols());
  }
  void ours_forward() const {
    kernels::cuda::conv2d_forward(ctx, plan, x.data<float>(), w.data<float>(), b.data<float>(),
                                  y.data<float>(), workspace.data<float>());
  }
  void cudnn_forward() const {
    kernels::cudnn::conv2d_forward(dnn, shape, plan.out_c, x.data<float>(), w.data<float>(),
                                   b.data<float>(), y.data<float>(), cudnn_workspace.raw_data(),
                                   cudnn_bytes);
  }
  void ours_backward() const {
    kernels::cuda::conv2d_backward(ctx, plan, x.data<float>(), w.data<float>(), dy.data<float>(),
                                   dx.data<float>(), dw.data<float>(), false, db.data<float>(),
                                   false, workspace.data<float>(), reduce.raw_data());
  }
  void cudnn_backward() const {
    kernels::cudnn::conv2d_backward(dnn, shape, plan.out_c, x.data<float>(), w.data<float>(),
                                    dy.data<float>(), dx.data<float>(), dw.data<float>(), false,
                                    db.data<float>(), false, cudnn_workspace.raw_data(),
                                    cudnn_bytes, reduce.raw_data());
  }
};

void conv(benchmark::State& state, const bench::ConvSpec& spec, bool backward) {
  const ConvProblem p(spec);
  const auto ours = [&] { backward ? p.ours_backward() : p.ours_forward(); };
  const auto cudnn = [&] { backward ? p.cudnn_backward() : p.cudnn_forward(); };
  const double cudnn_ms = median_ms(cudnn);
  const double ms = timed_loop(state, ours);
  const double ours_ms = ms / static_cast<double>(state.iterations());
  if (!(backward ? all_finite(p.dx) && all_finite(p.dw) : all_finite(p.y))) {
    g_failed = true;
    state.SkipWithError("a result is not finite");
    return;
  }
  state.counters["ours_ms"] = ours_ms;
  state.counters["cudnn_ms"] = cudnn_ms;
  state.counters["vs_cudnn"] = cudnn_ms / ours_ms;
  state.counters["GFLOP/s"] = (backward ? 2 : 1) * p.flops() / (ours_ms / 1e3) / 1e9;
  state.counters["tiles"] = static_cast<double>(p.plan.tiles());
}

// An element-wise or reduction kernel: `bytes` moved per run.
void bandwidth(benchmark::State& state, double bytes, const std::function<void()>& run) {
  const double ms = timed_loop(state, run);
  state.counters["GB/s"] = bytes * static_cast<double>(state.iterations()) / (ms / 1e3) / 1e9;
}

// The first Inception layer's activation at batch 128: 128 x 28 x 28 x 96 floats.
int64_t activation_elements() { return g_batch * 28 * 28 * 96; }

void register_elementwise() {
  namespace k = kernels::cuda;
  const auto reg = [](const std::string& name, std::function<void(benchmark::State&)> f) {
    benchmark::RegisterBenchmark(name.c_str(), std::move(f))
        ->UseManualTime()
        ->Unit(benchmark::kMicrosecond);
  };
  reg("relu_fwd", [](benchmark::State& s) {
    const int64_t n = activation_elements();
    const Tensor x = random_gpu(n, 1), y = Tensor::empty(Shape{n}, DType::kFloat32, kGpu);
    bandwidth(s, 8.0 * n, [&] { k::relu_forward(x.data<float>(), y.data<float>(), n, stream()); });
  });
  reg("relu_bwd", [](benchmark::State& s) {
    const int64_t n = activation_elements();
    const Tensor y = random_gpu(n, 1), dy = random_gpu(n, 2);
    const Tensor dx = Tensor::empty(Shape{n}, DType::kFloat32, kGpu);
    bandwidth(s, 12.0 * n, [&] {
      k::relu_backward(y.data<float>(), dy.data<float>(), dx.data<float>(), n, stream());
    });
  });
  reg("dropout", [](benchmark::State& s) {
    const int64_t n = activation_elements();
    const Tensor x = random_gpu(n, 1), y = Tensor::empty(Shape{n}, DType::kFloat32, kGpu);
    const auto philox = kernels::dropout_stream(1, 2, 3);
    bandwidth(s, 8.0 * n, [&] {
      k::dropout_apply(x.data<float>(), y.data<float>(), n, 0.5, philox, stream());
    });
  });
  reg("sgd_step/inception_slab", [](benchmark::State& s) {
    const int64_t n = 1649402;  // the small Inception's parameters
    const Tensor w = random_gpu(n, 1), g = random_gpu(n, 2), v = random_gpu(n, 3);
    const kernels::SgdParams<float> params{0.01f, 0.9f, 5e-4f, false, n / 2};
    bandwidth(s, 20.0 * n, [&] {
      k::sgd_momentum_step(w.data<float>(), g.data<float>(), v.data<float>(), n, params, stream());
    });
  });
  reg("batch_norm_fwd_training", [](benchmark::State& s) {
    const int64_t rows = g_batch * 28 * 28, c = 96;
    const Tensor x = random_gpu(rows * c, 1), beta = random_gpu(c, 2);
    const Tensor y = Tensor::empty(Shape{rows * c}, DType::kFloat32, kGpu);
    const Tensor stats = Tensor::empty(Shape{3 * c}, DType::kFloat32, kGpu);
    const Tensor ws =
        Tensor::empty(Shape{k::batch_norm_workspace_bytes(rows, c)}, DType::kUInt8, kGpu);
    float* st = stats.data<float>();
    // x read twice (mean, deviations) and once more to normalize; y written once.
    bandwidth(s, 16.0 * rows * c, [&] {
      k::batch_norm_forward_training<float>(x.data<float>(), nullptr, beta.data<float>(), rows, c,
                                            1e-3, y.data<float>(), st, st + c, st + 2 * c,
                                            ws.raw_data(), stream());
    });
  });
  reg("batch_norm_bwd_training", [](benchmark::State& s) {
    const int64_t rows = g_batch * 28 * 28, c = 96;
    const Tensor x = random_gpu(rows * c, 1), dy = random_gpu(rows * c, 2);
    const Tensor stats = random_gpu(2 * c, 3), dbeta = random_gpu(c, 4);
    const Tensor dx = Tensor::empty(Shape{rows * c}, DType::kFloat32, kGpu);
    const Tensor ws =
        Tensor::empty(Shape{k::batch_norm_workspace_bytes(rows, c)}, DType::kUInt8, kGpu);
    kernels::cpu::BatchNormGradients<float> grads;
    grads.dx = dx.data<float>();
    grads.dbeta = dbeta.data<float>();
    // x and dy read for the sums and again for dx; dx written.
    bandwidth(s, 20.0 * rows * c, [&] {
      k::batch_norm_backward<float>(x.data<float>(), dy.data<float>(), nullptr, stats.data<float>(),
                                    stats.data<float>() + c, rows, c, true, grads, ws.raw_data(),
                                    stream());
    });
  });
  reg("bias_grad/conv_28x28x96", [](benchmark::State& s) {
    const int64_t rows = g_batch * 28 * 28, c = 96;
    const Tensor dy = random_gpu(rows * c, 1), db = random_gpu(c, 2);
    const Tensor ws =
        Tensor::empty(Shape{k::bias_grad_workspace_bytes(rows, c)}, DType::kUInt8, kGpu);
    bandwidth(s, 4.0 * rows * c, [&] {
      k::bias_grad_rows(dy.data<float>(), rows, c, db.data<float>(), false, ws.raw_data(),
                        stream());
    });
  });
  reg("max_pool_fwd/28x28x80", [](benchmark::State& s) {
    const WindowedShape shape = WindowedShape::make(
        g_batch, 28, 28, 80, Window2d::make(3, 3, 2, PaddingMode::kSame, 28, 28));
    const Tensor x = random_gpu(shape.in_pixels() * 80, 1);
    const Tensor y = Tensor::empty(Shape{shape.out_pixels() * 80}, DType::kFloat32, kGpu);
    const Tensor where = Tensor::empty(Shape{shape.out_pixels() * 80}, DType::kInt32, kGpu);
    bandwidth(s, 4.0 * shape.in_pixels() * 80 + 8.0 * shape.out_pixels() * 80, [&] {
      k::max_pool2d_forward(x.data<float>(), shape, y.data<float>(), where.data<int32_t>(),
                            stream());
    });
  });
  reg("lrn_fwd/alexnet_14x14x64", [](benchmark::State& s) {
    const int64_t pixels = g_batch * 14 * 14, c = 64;
    const Tensor x = random_gpu(pixels * c, 1);
    const Tensor y = Tensor::empty(Shape{pixels * c}, DType::kFloat32, kGpu);
    const Tensor inv = Tensor::empty(Shape{pixels * c}, DType::kFloat32, kGpu);
    const kernels::LrnParams p{c, 4, 1.0, 0.001 / 9, 0.75};
    bandwidth(s, 12.0 * pixels * c, [&] {
      k::lrn_forward(x.data<float>(), y.data<float>(), inv.data<float>(), pixels, p, stream());
    });
  });
  reg("softmax_cross_entropy_fwd/batch", [](benchmark::State& s) {
    const int64_t rows = g_batch, classes = 10;
    const Tensor logits = random_gpu(rows * classes, 1);
    std::vector<int32_t> labels(static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r)
      labels[static_cast<size_t>(r)] = static_cast<int32_t>(r % 10);
    const Tensor y = Tensor::from_vector(Shape{rows}, labels, kGpu);
    const Tensor row = Tensor::empty(Shape{2 * rows + 1}, DType::kFloat32, kGpu);
    const Tensor ws =
        Tensor::empty(Shape{k::softmax_cross_entropy_workspace_bytes(rows)}, DType::kUInt8, kGpu);
    float* r = row.data<float>();
    bandwidth(s, 4.0 * rows * classes + 12.0 * rows, [&] {
      k::softmax_cross_entropy_forward(logits.data<float>(), y.data<int32_t>(), rows, classes, r,
                                       r + rows, r + 2 * rows, ws.raw_data(), stream());
    });
  });
}

void train_step(benchmark::State& state, const std::string& model_name, ConvEngine engine) {
  ComputeSettingsScope settings({.conv_engine = engine});
  const std::shared_ptr<Module> model = make_model(model_name, ModelInput{});
  model->initialize(1);
  model->to(kGpu);  // parameters and buffers; then the slab gathers them there
  ParameterSlab slab(model->parameters());
  Sgd sgd(slab, {.momentum = 0.9, .weight_decay = 5e-4, .nesterov = false});
  const Tensor x = random_gpu(g_batch * 28 * 28 * 3, 5).view(Shape{g_batch, 28, 28, 3});
  std::vector<int32_t> labels(static_cast<size_t>(g_batch));
  for (int64_t r = 0; r < g_batch; ++r)
    labels[static_cast<size_t>(r)] = static_cast<int32_t>(r % 10);
  const Tensor y = Tensor::from_vector(Shape{g_batch}, labels, kGpu);
  Tensor loss;
  const auto step = [&] {
    loss = ops::softmax_cross_entropy(model->forward(x), y);
    sgd.zero_grad();
    loss.backward();
    sgd.step(0.01);
  };
  const double ms = timed_loop(state, step);
  if (!std::isfinite(loss.item<float>())) {
    g_failed = true;
    state.SkipWithError("the loss is not finite");
    return;
  }
  state.counters["images/s"] =
      static_cast<double>(g_batch) * static_cast<double>(state.iterations()) / (ms / 1e3);
}

void register_benchmarks() {
  const auto reg = [](const std::string& name, std::function<void(benchmark::State&)> f) {
    return benchmark::RegisterBenchmark(name.c_str(), std::move(f))
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
  };
  reg("gemm/fp32:4096", [](benchmark::State& s) { gemm_square(s, MathMode::kFp32); });
  reg("gemm/tf32:4096", [](benchmark::State& s) { gemm_square(s, MathMode::kTf32); });
  for (const bench::ConvSpec& spec : bench::kInceptionConvs) {
    reg("conv2d_fwd/" + spec.name(), [spec](benchmark::State& s) { conv(s, spec, false); });
    reg("conv2d_bwd/" + spec.name(), [spec](benchmark::State& s) { conv(s, spec, true); });
  }
  register_elementwise();
  for (const char* model : {"inception", "alexnet", "mlp1x512"}) {
    for (const ConvEngine engine : {ConvEngine::kOurs, ConvEngine::kCudnn}) {
      const std::string name = fmt::format("train_step/{}/{}", model, conv_engine_name(engine));
      reg(name, [model, engine](benchmark::State& s) { train_step(s, model, engine); });
    }
  }
}

// Removes --batch=N from argv (Google Benchmark rejects flags it does not know).
void take_our_flags(int* argc, char** argv) {
  int kept = 1;
  for (int i = 1; i < *argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("--batch=")) {
      const std::string_view v = arg.substr(8);
      int64_t value = 0;
      const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
      if (ec != std::errc() || end != v.data() + v.size() || value < 1) {
        throw UserError(fmt::format("--batch '{}' is not a whole number >= 1", v));
      }
      g_batch = value;
    } else {
      argv[kept++] = argv[i];
    }
  }
  *argc = kept;
  argv[kept] = nullptr;
}

}  // namespace
}  // namespace rethink

int main(int argc, char** argv) {
  try {
    rethink::take_our_flags(&argc, argv);
    const rethink::GpuQuery& gpus = rethink::query_gpus();
    if (gpus.devices.empty() || !gpus.devices.front().unsupported.empty()) {
      std::printf(
          "cuda_kernels_bench: no usable GPU (%s): nothing to time, skipping\n",
          gpus.devices.empty() ? gpus.why_none.c_str() : gpus.devices.front().unsupported.c_str());
      return 0;
    }
    const rethink::GpuInfo& g = gpus.devices.front();
    std::printf("cuda_kernels_bench: %s (compute capability %d.%d, %d SMs), batch %lld\n",
                g.name.c_str(), g.compute_major, g.compute_minor, g.multiprocessors,
                static_cast<long long>(rethink::g_batch));
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
    rethink::register_benchmarks();
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
  } catch (const rethink::UserError& e) {
    std::fprintf(stderr, "cuda_kernels_bench: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cuda_kernels_bench: %s\n", e.what());
    return 1;
  }
  return rethink::g_failed ? 1 : 0;
}
