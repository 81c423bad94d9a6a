// Every op of the zoo, forward and backward, at every distinct layer shape of inception,
// alexnet, mlp1x512 and mlp3x512 at batch 128 on 28x28x3 images (the layers `rethink models
// --model NAME --summary` lists), plus a few large shapes, against the machine's roofline and
// a reference library:
//
//   ops_bench [--threads=N] [--batch=128] [--devices=auto|cpu|cuda|cpu,cuda]
//             [--peak-n=2048] [--stream-mib=768] [Google Benchmark flags]
//
// Each layer runs alone, as the training step runs it: the layer's own forward (training mode,
// recording its autograd node) on a random input, and its node's backward (dx, and the
// parameter gradients added into their buffers, as into the slab). Rows:
//   {fwd,bwd}/<device>/<op>/<shape>            ours
//   {fwd,bwd}/cpu/<op>/<shape>/openblas_gemm   linear and conv2d: the OpenBLAS GEMMs the op
//                                              maps to, alone, on buffers already there (conv:
//                                              the whole-batch [pixels, k*k*Cin] x [.., Cout])
//   {fwd,bwd}/cuda/<op>/<shape>/cudnn          conv2d and batch_norm through cuDNN
//   {fwd,bwd}/cuda/linear/<shape>/cublas_gemm  linear: cuBLAS's GEMMs alone
//   update/<device>/sgd/<model>                the fused SGD step over the model's slab
//   {fwd,bwd}/<device>/softmax_cross_entropy/128x10   the loss
// Counters on every row: GFLOP/s, GB/s, roofline (the fraction of the machine's roofline at the
// op's arithmetic intensity: max(flops / peak, bytes / bandwidth) over the measured time),
// flops and bytes per run; on ours beside a reference, ref_ms and vs_ref (the reference's time
// over ours: above 1, ours is faster). FLOPs: 2 per multiply-add for conv2d and linear; a
// nominal count per element for the rest (they are memory-bound; their roofline is set by
// bytes). Bytes: each tensor the op must read or write, once (the ideal, not the traffic).
//
// The roofline is measured at start-up, on each device: peak FP32 from a large square SGEMM
// (OpenBLAS --peak-n, best of 3; cuBLAS 8192, also TF32), bandwidth from a triad a = b + s c
// over --stream-mib MiB (OpenMP, best of 5; 12 bytes counted per element, as STREAM) on the CPU,
// from a 1 GiB device-to-device copy on the GPU (read + write counted); the context holds them.
// --devices auto (the default) adds the cuda rows when a GPU is usable and says why not
// otherwise. tools/bench_tables.py turns --benchmark_out JSON into docs/BENCHMARKS.md's tables.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bench/bench_devices.h"
#include "bench/bench_flags.h"
#include "kernels/blas_info.h"
#include "kernels/error.h"
#include "kernels/gemm.h"
#include "kernels/philox.h"
#include "models/layers/batch_norm2d.h"
#include "models/layers/branches.h"
#include "models/layers/conv2d.h"
#include "models/layers/linear.h"
#include "models/layers/max_pool2d.h"
#include "models/layers/relu.h"
#include "models/module.h"
#include "models/zoo/registry.h"
#include "runtime/autograd.h"
#include "runtime/compute_settings.h"
#include "runtime/cuda_context.h"
#include "runtime/gpu.h"
#include "runtime/ops/concat.h"
#include "runtime/ops/softmax_cross_entropy.h"
#include "runtime/optim/sgd.h"
#include "runtime/parameter_slab.h"
#include "runtime/tensor.h"
#include "runtime/threads.h"

#if RETHINK_WITH_CUDA
#include <cuda_runtime_api.h>

#include "kernels/cuda/check.h"
#endif

namespace rethink {
namespace {

using Clock = std::chrono::steady_clock;

int64_t g_batch = 128;
int64_t g_peak_n = 2048;
int64_t g_stream_mib = 768;
bool g_failed = false;  // a result was not finite: exit non-zero, so the smoke run fails

struct Roofline {
  double gflops = 0;  // peak FP32, measured
  double gbps = 0;    // memory bandwidth, measured
};
std::map<std::string, Roofline> g_roofline;  // by device name: "cpu", "cuda"
// Reference times (seconds per run) by our row's name, when the reference row ran first.
std::map<std::string, double> g_reference_seconds;

std::string device_name(Device d) { return d.is_cuda() ? "cuda" : "cpu"; }

// Uniform [-1, 1) float32 of `shape` on `device`, drawn on the host (never time zeros).
Tensor random_tensor(const Shape& shape, uint64_t seed, Device device) {
  Tensor t = Tensor::empty(shape);
  float* p = t.data<float>();
  const auto s = kernels::PhiloxStream::make(seed, kernels::RngPurpose::kData);
  const int64_t n = t.numel();
#pragma omp parallel for schedule(static)  // the GEMM references' buffers reach 350 MB
  for (int64_t i = 0; i < n; ++i) p[i] = 2 * s.uniform(static_cast<uint64_t>(i)) - 1;
  return t.to(device);
}

bool all_finite(const Tensor& t) {
  if (!t.defined()) return true;
  for (const float v : t.to_vector<float>()) {
    if (!std::isfinite(v)) return false;
  }
  return true;
}

// Times one run: wall time on the CPU, CUDA events on the device's stream on a GPU (so that
// what is queued before start() is not charged).
class Stopwatch {
 public:
  explicit Stopwatch(Device device) : device_(device) {
#if RETHINK_WITH_CUDA
    if (device_.is_cuda()) {
      RT_CUDA_CHECK(cudaEventCreate(&start_));
      RT_CUDA_CHECK(cudaEventCreate(&stop_));
    }
#endif
  }
  ~Stopwatch() {
#if RETHINK_WITH_CUDA
    if (device_.is_cuda()) {
      cudaEventDestroy(start_);
      cudaEventDestroy(stop_);
    }
#endif
  }
  Stopwatch(const Stopwatch&) = delete;
  Stopwatch& operator=(const Stopwatch&) = delete;

  void start() {
#if RETHINK_WITH_CUDA
    if (device_.is_cuda()) {
      RT_CUDA_CHECK(cudaEventRecord(start_, stream()));
      return;
    }
#endif
    t0_ = Clock::now();
  }
  double seconds() {
#if RETHINK_WITH_CUDA
    if (device_.is_cuda()) {
      RT_CUDA_CHECK(cudaEventRecord(stop_, stream()));
      RT_CUDA_CHECK(cudaEventSynchronize(stop_));
      float ms = 0;
      RT_CUDA_CHECK(cudaEventElapsedTime(&ms, start_, stop_));
      return ms / 1e3;
    }
#endif
    return std::chrono::duration<double>(Clock::now() - t0_).count();
  }

 private:
#if RETHINK_WITH_CUDA
  cudaStream_t stream() const { return reinterpret_cast<cudaStream_t>(cuda_stream(device_)); }
  cudaEvent_t start_ = nullptr, stop_ = nullptr;
#endif
  Device device_;
  Clock::time_point t0_;
};

#if RETHINK_WITH_CUDA
// The median of a few timed runs of `run` (after one untimed), in seconds.
double median_seconds(Device device, const std::function<void()>& run, int repeats = 5) {
  Stopwatch watch(device);
  run();
  std::vector<double> t;
  for (int i = 0; i < repeats; ++i) {
    watch.start();
    run();
    t.push_back(watch.seconds());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}
#endif

// --- the roofline -----------------------------------------------------------------------------

Roofline measure_cpu_roofline() {
  Roofline r;
  const int64_t n = g_peak_n;
  const Tensor a = random_tensor(Shape{n, n}, 1, Device::cpu());
  const Tensor b = random_tensor(Shape{n, n}, 2, Device::cpu());
  const Tensor c = Tensor::empty(Shape{n, n});
  double best = 1e30;
  kernels::cpu::gemm<float>(false, false, n, n, n, 1, a.data<float>(), n, b.data<float>(), n, 0,
                            c.data<float>(), n);
  for (int i = 0; i < 3; ++i) {
    const auto t0 = Clock::now();
    kernels::cpu::gemm<float>(false, false, n, n, n, 1, a.data<float>(), n, b.data<float>(), n, 0,
                              c.data<float>(), n);
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  r.gflops = 2.0 * static_cast<double>(n * n * n) / best / 1e9;

  const int64_t elements = std::max<int64_t>((g_stream_mib << 20) / 12, 1 << 16);
  std::vector<float> x(static_cast<size_t>(elements)), y(x.size()), z(x.size());
  float* px = x.data();
  float* py = y.data();
  float* pz = z.data();
  const int threads = thread_count();
  const auto triad = [&] {
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t i = 0; i < elements; ++i) px[i] = py[i] + 1.5f * pz[i];
  };
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t i = 0; i < elements; ++i) {  // first touch by the threads that use them
    px[i] = 0;
    py[i] = 1;
    pz[i] = 2;
  }
  triad();
  best = 1e30;
  for (int i = 0; i < 5; ++i) {
    const auto t0 = Clock::now();
    triad();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  benchmark::DoNotOptimize(px[elements / 2]);
  r.gbps = 12.0 * static_cast<double>(elements) / best / 1e9;
  return r;
}

#if RETHINK_WITH_CUDA
Roofline measure_gpu_roofline(Device gpu, double* tf32_gflops) {
  Roofline r;
  const int64_t n = 8192;
  const Tensor a = random_tensor(Shape{n, n}, 1, gpu), b = random_tensor(Shape{n, n}, 2, gpu);
  const Tensor c = Tensor::empty(Shape{n, n}, DType::kFloat32, gpu);
  for (const MathMode math : {MathMode::kFp32, MathMode::kTf32}) {
    ComputeSettingsScope settings({.math = math});
    const kernels::cuda::Context ctx = cuda_context(gpu);
    const double s = median_seconds(gpu, [&] {
      kernels::cuda::gemm<float>(ctx, false, false, n, n, n, 1, a.data<float>(), n, b.data<float>(),
                                 n, 0, c.data<float>(), n);
    });
    const double gflops = 2.0 * static_cast<double>(n * n * n) / s / 1e9;
    (math == MathMode::kFp32 ? r.gflops : *tf32_gflops) = gflops;
  }
  const int64_t bytes = int64_t{1} << 30;
  const Tensor src = Tensor::zeros(Shape{bytes}, DType::kUInt8, gpu);
  const Tensor dst = Tensor::empty(Shape{bytes}, DType::kUInt8, gpu);
  const auto stream = reinterpret_cast<cudaStream_t>(cuda_stream(gpu));
  const double s = median_seconds(gpu, [&] {
    RT_CUDA_CHECK(cudaMemcpyAsync(dst.raw_data(), src.raw_data(), static_cast<size_t>(bytes),
                                  cudaMemcpyDeviceToDevice, stream));
  });
  r.gbps = 2.0 * static_cast<double>(bytes) / s / 1e9;
  return r;
}
#endif

// --- the cases --------------------------------------------------------------------------------

// Where layers come from: a zoo model, or a small stack of large layers.
struct Source {
  std::string name;
  std::function<std::shared_ptr<Module>()> build;
  Shape image;    // one input: [1, ...]
  int64_t batch;  // the batch the source's layers run at
};

std::vector<Source> sources() {
  std::vector<Source> out;
  for (const char* name : {"inception", "alexnet", "mlp1x512", "mlp3x512"}) {
    out.push_back(
        {name, [name] { return make_model(name, ModelInput{}); }, Shape{1, 28, 28, 3}, g_batch});
  }
  // A few large shapes, at batches scaled with --batch (so the smoke run stays small).
  out.push_back({"large-linear",
                 [] {
                   auto m = std::make_shared<Sequential>();
                   m->add(std::make_shared<Linear>(4096, 4096));
                   return m;
                 },
                 Shape{1, 4096}, std::max<int64_t>(1, 1024 * g_batch / 128)});
  out.push_back({"large-conv",
                 [] {
                   auto m = std::make_shared<Sequential>();
                   m->add(
                       std::make_shared<Conv2d>(64, 64, 3, 1, kernels::PaddingMode::kSame, false));
                   m->add(std::make_shared<BatchNorm2d>(64));
                   m->add(std::make_shared<ReLU>());
                   m->add(std::make_shared<MaxPool2d>(3, 2));
                   return m;
                 },
                 Shape{1, 56, 56, 64}, std::max<int64_t>(1, 32 * g_batch / 128)});
  return out;
}

Shape with_batch(const Shape& s, int64_t batch) {
  std::vector<int64_t> dims = s.dims();
  dims[0] = batch;
  return Shape(std::move(dims));
}

// A model built for one device, its summary at batch 1 holding the layers.
struct Copy {
  std::shared_ptr<Module> model;
  std::vector<LayerSummary> rows;
};

const Copy& copy_of(const Source& source, Device device) {
  static std::map<std::string, Copy> made;
  const std::string key = source.name + "@" + device_name(device);
  if (const auto it = made.find(key); it != made.end()) return it->second;
  Copy c;
  c.model = source.build();
  c.model->initialize(1);
  c.model->to(device);
  c.model->set_training(true);
  c.rows = summarize(*c.model, source.image);
  return made.emplace(key, std::move(c)).first->second;
}

struct OpCase {
  std::string op;     // conv2d, linear, relu, batch_norm, max_pool2d, avg_pool2d, lrn, concat
  std::string shape;  // the row name's shape part
  size_t source = 0;  // index into sources()
  size_t row = 0;     // the layer's row in its source's summary
  std::vector<std::string> where;  // every "source layer" of this shape
  Shape input, output;             // at the source's batch
  std::vector<Shape> concat_inputs;
  int64_t params = 0;
  double macs = 0;           // at the source's batch
  double flops[2] = {0, 0};  // forward, backward
  double bytes[2] = {0, 0};
  // The GEMMs the op maps to (linear, conv2d): m, n, k of the forward product.
  int64_t gemm_m = 0, gemm_n = 0, gemm_k = 0;
};

std::string image_text(const Shape& s) {
  if (s.rank() == 4) return fmt::format("{}x{}x{}", s[1], s[2], s[3]);
  return fmt::format("{}", s[s.rank() - 1]);
}

// The cases of one summary row, or none for a layer that costs nothing (a flatten is a view).
void add_cases(const std::vector<Source>& all, size_t source, const std::vector<LayerSummary>& rows,
               size_t r, std::vector<OpCase>& out) {
  const LayerSummary& row = rows[r];
  const int64_t batch = all[source].batch;
  OpCase c;
  c.source = source;
  c.row = r;
  c.input = with_batch(row.input_shape, batch);
  c.output = with_batch(row.output_shape, batch);
  c.params = row.parameters;
  c.macs = static_cast<double>(row.macs) * static_cast<double>(batch);
  const double m = static_cast<double>(c.input.numel()), n = static_cast<double>(c.output.numel());
  const double p = static_cast<double>(row.parameters);
  const std::string io = image_text(c.input) + "->" + image_text(c.output);
  if (row.type == "Flatten") return;
  if (dynamic_cast<Branches*>(row.module) != nullptr) {
    // The branches' layers are rows of their own; what the container adds is the concat.
    // Its inputs are the branches' outputs: each branch's last row (rows run in order).
    c.op = "concat";
    const std::string prefix = row.name + ".";
    std::string branch;
    for (size_t j = r + 1; j < rows.size() && rows[j].name.starts_with(prefix); ++j) {
      const std::string rest = rows[j].name.substr(prefix.size());
      const Shape produced = with_batch(rows[j].output_shape, batch);
      if (rest.substr(0, rest.find('.')) != branch) {
        branch = rest.substr(0, rest.find('.'));
        c.concat_inputs.push_back(produced);
      } else {
        c.concat_inputs.back() = produced;
      }
    }
    std::vector<std::string> channels;
    for (const Shape& s : c.concat_inputs) channels.push_back(std::to_string(s[3]));
    c.shape = fmt::format("{}x{}x({})", c.output[1], c.output[2], fmt::join(channels, "+"));
    c.flops[0] = c.flops[1] = 0;
    c.bytes[0] = c.bytes[1] = 8 * n;
  } else if (row.type == "Conv2d") {
    const auto& conv = dynamic_cast<const Conv2d&>(*row.module);
    c.op = "conv2d";
    c.shape = fmt::format("{}/{}x{}{}{}", io, conv.kernel(), conv.kernel(),
                          conv.stride() > 1 ? fmt::format("/s{}", conv.stride()) : "",
                          conv.bias().defined() ? "" : "/nobias");
    c.flops[0] = 2 * c.macs;
    c.flops[1] = 4 * c.macs;
    c.bytes[0] = 4 * (m + p + n);
    c.bytes[1] = 4 * (2 * m + 2 * p + n);
    c.gemm_m = c.output.numel() / conv.out_channels();
    c.gemm_n = conv.out_channels();
    c.gemm_k = conv.kernel() * conv.kernel() * conv.in_channels();
  } else if (row.type == "Linear") {
    const auto& linear = dynamic_cast<const Linear&>(*row.module);
    c.op = "linear";
    c.shape = io;
    c.flops[0] = 2 * c.macs;
    c.flops[1] = 4 * c.macs;
    c.bytes[0] = 4 * (m + p + n);
    c.bytes[1] = 4 * (2 * m + 2 * p + n);
    c.gemm_m = c.input[0];
    c.gemm_n = linear.out_features();
    c.gemm_k = linear.in_features();
  } else if (row.type == "ReLU") {
    c.op = "relu";
    c.shape = image_text(c.output);
    c.flops[0] = c.flops[1] = n;
    c.bytes[0] = 8 * n;
    c.bytes[1] = 12 * n;
  } else if (row.type == "BatchNorm2d") {
    c.op = "batch_norm";
    c.shape = image_text(c.output);
    c.flops[0] = 5 * n;  // the statistics (sum, sum of squares), then x * scale + shift
    c.flops[1] = 7 * n;
    c.bytes[0] = 8 * n;   // x, y
    c.bytes[1] = 12 * n;  // x, dy, dx
  } else if (row.type == "MaxPool2d" || row.type == "AvgPool2d") {
    const int64_t window = row.type == "MaxPool2d"
                               ? dynamic_cast<const MaxPool2d&>(*row.module).options().kernel
                               : c.input[1] - c.output[1] + 1;  // the zoo's mean pool: VALID, 1
    c.op = row.type == "MaxPool2d" ? "max_pool2d" : "avg_pool2d";
    c.shape = fmt::format("{}/{}x{}", io, window, window);
    c.flops[0] = static_cast<double>(window * window) * n;
    c.flops[1] = row.type == "MaxPool2d" ? n : static_cast<double>(window * window) * n;
    c.bytes[0] = c.bytes[1] = 4 * (m + n);
  } else if (row.type == "Lrn") {
    c.op = "lrn";
    c.shape = image_text(c.output);
    c.flops[0] = 24 * n;  // a 9-wide sum of squares, then pow
    c.flops[1] = 28 * n;
    c.bytes[0] = 8 * n;   // x, y
    c.bytes[1] = 16 * n;  // x, y, dy, dx
  } else {
    throw Error(fmt::format("ops_bench: no case for layer type {} ({} {}): add one", row.type,
                            all[source].name, row.name));
  }
  const std::string where = all[source].name + " " + row.name;
  for (OpCase& other : out) {
    // A concat's cost is its inputs' (in its name); a layer's is its input, output and
    // parameters.
    const bool same = c.op == "concat" ? other.op == c.op && other.shape == c.shape
                                       : other.op == c.op && other.shape == c.shape &&
                                             other.input == c.input && other.params == c.params;
    if (same) {
      other.where.push_back(where);
      return;
    }
  }
  c.where.push_back(where);
  out.push_back(std::move(c));
}

// --- timing -----------------------------------------------------------------------------------

void report(benchmark::State& state, const OpCase* c, Device device, double seconds, double flops,
            double bytes) {
  const double per_run = seconds / static_cast<double>(state.iterations());
  state.counters["GFLOP/s"] = flops / per_run / 1e9;
  state.counters["GB/s"] = bytes / per_run / 1e9;
  const Roofline& roof = g_roofline[device_name(device)];
  if (roof.gflops > 0 && roof.gbps > 0) {
    const double ideal = std::max(flops / (roof.gflops * 1e9), bytes / (roof.gbps * 1e9));
    state.counters["roofline"] = ideal / per_run;
  }
  state.counters["flops"] = flops;
  state.counters["bytes"] = bytes;
  if (c != nullptr) state.SetLabel(fmt::format("{}", fmt::join(c->where, ", ")));
}

// The leaf parameters of a layer get gradient buffers, as the slab gives them in training, so
// that the backward adds into them (the node is handed them as `into`).
void give_gradients(Module& layer) {
  for (const NamedParameter& p : layer.parameters()) {
    p.tensor.set_grad(Tensor::zeros(p.tensor.shape(), p.tensor.dtype(), p.tensor.device()));
  }
}

std::vector<Tensor> into_of(const Node& node) {
  std::vector<Tensor> into(node.inputs().size());
  for (size_t i = 0; i < into.size(); ++i) {
    const Tensor& t = node.inputs()[i];
    if (t.defined() && t.requires_grad() && t.is_leaf()) into[i] = t.grad();
  }
  return into;
}

std::string ours_name(const OpCase& c, int pass, Device device) {
  return fmt::format("{}/{}/{}/{}", pass == 0 ? "fwd" : "bwd", device_name(device), c.op, c.shape);
}

// One layer (or a concat) alone, forward or backward, ours or with the cuDNN engine (then the
// reference of our row `reference_for`).
void run_op(benchmark::State& state, const OpCase& c, int pass, Device device, bool cudnn,
            const std::string& reference_for = {}) {
  ComputeSettingsScope settings({.conv_engine = cudnn ? ConvEngine::kCudnn : ConvEngine::kOurs});
  const std::vector<Source> all = sources();
  Module* layer = nullptr;
  std::vector<Tensor> xs;
  if (c.op == "concat") {
    for (size_t i = 0; i < c.concat_inputs.size(); ++i) {
      xs.push_back(random_tensor(c.concat_inputs[i], 10 + i, device).set_requires_grad(true));
    }
  } else {
    layer = copy_of(all[c.source], device).rows[c.row].module;
    give_gradients(*layer);
    xs.push_back(random_tensor(c.input, 10, device).set_requires_grad(true));
  }
  const auto forward = [&] { return layer ? layer->forward(xs[0]) : ops::concat_channels(xs); };
  const Tensor dy = random_tensor(c.output, 20, device);
  Stopwatch watch(device);
  double seconds = 0;
  Tensor y, dx;
  forward();  // first touch, outside the timing
  for (auto _ : state) {
    if (pass == 0) {
      watch.start();
      y = forward();
      const double s = watch.seconds();
      state.SetIterationTime(s);
      seconds += s;
    } else {
      y = forward();
      const std::shared_ptr<Node>& node = y.grad_fn();
      if (!node) {
        state.SkipWithError("the op recorded no autograd node");
        g_failed = true;
        return;
      }
      const std::vector<Tensor> into = into_of(*node);
      watch.start();
      const std::vector<Tensor> grads = node->backward(dy, into);
      const double s = watch.seconds();
      state.SetIterationTime(s);
      seconds += s;
      dx = grads.empty() ? Tensor() : grads[0];
    }
  }
  if (!all_finite(pass == 0 ? y : dx)) {
    g_failed = true;
    state.SkipWithError("a result is not finite");
    return;
  }
  report(state, &c, device, seconds, c.flops[pass], c.bytes[pass]);
  const double per_run = seconds / static_cast<double>(state.iterations());
  if (!reference_for.empty()) {
    g_reference_seconds[reference_for] = per_run;
  } else if (const auto it = g_reference_seconds.find(ours_name(c, pass, device));
             it != g_reference_seconds.end()) {
    state.counters["ref_ms"] = it->second * 1e3;
    state.counters["vs_ref"] = it->second / per_run;
  }
}

// The GEMMs linear and conv2d map to, alone, on buffers already there: forward
// [m, k] x [n, k]^T; backward dW = dY^T X ([n, m] x [m, k]) and dX = dY W ([m, n] x [n, k]).
void run_gemm(benchmark::State& state, const OpCase& c, int pass, Device device) {
  const int64_t m = c.gemm_m, n = c.gemm_n, k = c.gemm_k;
  const Tensor x = random_tensor(Shape{m, k}, 1, device), w = random_tensor(Shape{n, k}, 2, device);
  const Tensor dy = random_tensor(Shape{m, n}, 3, device);
  const Tensor y = Tensor::empty(Shape{m, n}, DType::kFloat32, device);
  const Tensor dw = Tensor::empty(Shape{n, k}, DType::kFloat32, device);
  const Tensor dx = Tensor::empty(Shape{m, k}, DType::kFloat32, device);
  const auto gemm = [&](bool ta, bool tb, int64_t mm, int64_t nn, int64_t kk, const Tensor& a,
                        int64_t lda, const Tensor& b, int64_t ldb, const Tensor& out, int64_t ldc) {
    if (device.is_cpu()) {
      kernels::cpu::gemm<float>(ta, tb, mm, nn, kk, 1, a.data<float>(), lda, b.data<float>(), ldb,
                                0, out.data<float>(), ldc);
    } else {
#if RETHINK_WITH_CUDA
      kernels::cuda::gemm<float>(cuda_context(device), ta, tb, mm, nn, kk, 1, a.data<float>(), lda,
                                 b.data<float>(), ldb, 0, out.data<float>(), ldc);
#endif
    }
  };
  const auto run = [&] {
    if (pass == 0) {
      gemm(false, true, m, n, k, x, k, w, k, y, n);
    } else {
      gemm(true, false, n, k, m, dy, n, x, k, dw, k);
      gemm(false, false, m, k, n, dy, n, w, k, dx, k);
    }
  };
  Stopwatch watch(device);
  run();
  double seconds = 0;
  for (auto _ : state) {
    watch.start();
    run();
    const double s = watch.seconds();
    state.SetIterationTime(s);
    seconds += s;
  }
  const double flops = (pass == 0 ? 2.0 : 4.0) * static_cast<double>(m * n * k);
  const double bytes =
      4.0 * static_cast<double>(pass == 0 ? m * k + n * k + m * n : 2 * m * k + 2 * n * k + m * n);
  report(state, &c, device, seconds, flops, bytes);
  g_reference_seconds[ours_name(c, pass, device)] =
      seconds / static_cast<double>(state.iterations());
}

// The fused SGD step over a model's whole slab (momentum 0.9, weight decay 5e-4).
void run_sgd(benchmark::State& state, const std::string& model_name, Device device) {
  const std::shared_ptr<Module> model = make_model(model_name, ModelInput{});
  model->initialize(1);
  model->to(device);
  ParameterSlab slab(model->parameters());
  Sgd sgd(slab, {.momentum = 0.9, .weight_decay = 5e-4, .nesterov = false});
  slab.grads().copy_(random_tensor(slab.grads().shape(), 3, device));
  Stopwatch watch(device);
  sgd.step(0.01);
  double seconds = 0;
  for (auto _ : state) {
    watch.start();
    sgd.step(0.01);
    const double s = watch.seconds();
    state.SetIterationTime(s);
    seconds += s;
  }
  if (!all_finite(slab.values())) {
    g_failed = true;
    state.SkipWithError("the weights are not finite");
    return;
  }
  const double n = static_cast<double>(slab.numel());
  report(state, nullptr, device, seconds, 4 * n, 20 * n);  // w, g, v read; w, v written
  state.SetLabel(fmt::format("{} parameters", slab.numel()));
}

// The loss: softmax cross-entropy of [batch, 10] logits, forward or backward.
void run_loss(benchmark::State& state, int pass, Device device) {
  const int64_t rows = g_batch, classes = 10;
  const Tensor logits = random_tensor(Shape{rows, classes}, 1, device).set_requires_grad(true);
  std::vector<int32_t> y(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) y[static_cast<size_t>(r)] = static_cast<int32_t>(r % 10);
  const Tensor labels = Tensor::from_vector(Shape{rows}, y, device);
  const Tensor one = Tensor::full(Shape{}, 1.0, DType::kFloat32, device);
  Stopwatch watch(device);
  double seconds = 0;
  Tensor loss, dlogits;
  for (auto _ : state) {
    if (pass == 0) {
      watch.start();
      loss = ops::softmax_cross_entropy(logits, labels);
      const double s = watch.seconds();
      state.SetIterationTime(s);
      seconds += s;
    } else {
      loss = ops::softmax_cross_entropy(logits, labels);
      const std::shared_ptr<Node>& node = loss.grad_fn();
      const std::vector<Tensor> into(node->inputs().size());
      watch.start();
      dlogits = node->backward(one, into)[0];
      const double s = watch.seconds();
      state.SetIterationTime(s);
      seconds += s;
    }
  }
  if (!all_finite(pass == 0 ? loss : dlogits)) {
    g_failed = true;
    state.SkipWithError("a result is not finite");
    return;
  }
  const double n = static_cast<double>(rows * classes);
  report(state, nullptr, device, seconds, 4 * n, pass == 0 ? 4 * n + 4.0 * rows : 8 * n);
}

// --- registration -------------------------------------------------------------------------------

struct Options {
  int threads = bench::threads_from_environment();
  std::string devices = "auto";
};

Options take_our_flags(int* argc, char** argv) {
  Options o;
  bench::take_flags(argc, argv, [&](std::string_view name, std::string_view value) {
    if (name == "threads") {
      o.threads = static_cast<int>(bench::parse_count(value, "--threads", 0));
    } else if (name == "batch") {
      g_batch = bench::parse_count(value, "--batch", 1);
    } else if (name == "devices") {
      o.devices = std::string(value);
    } else if (name == "peak-n") {
      g_peak_n = bench::parse_count(value, "--peak-n", 64);
    } else if (name == "stream-mib") {
      g_stream_mib = bench::parse_count(value, "--stream-mib", 1);
    } else {
      return false;
    }
    return true;
  });
  return o;
}

void register_benchmarks(const std::vector<Device>& devices) {
  static std::vector<OpCase> cases;
  const std::vector<Source> all = sources();
  for (size_t s = 0; s < all.size(); ++s) {
    const Copy& copy = copy_of(all[s], Device::cpu());
    for (size_t r = 0; r < copy.rows.size(); ++r) add_cases(all, s, copy.rows, r, cases);
  }
  const auto reg = [](const std::string& name, std::function<void(benchmark::State&)> f) {
    benchmark::RegisterBenchmark(name.c_str(), std::move(f))
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
  };
  for (const Device device : devices) {
    const std::string dev = device_name(device);
    for (const OpCase& c : cases) {
      for (int pass = 0; pass < 2; ++pass) {
        const std::string ours = ours_name(c, pass, device);
        // The reference runs first, so that ours can report the ratio.
        if (c.gemm_m > 0) {
          reg(ours + (device.is_cuda() ? "/cublas_gemm" : "/openblas_gemm"),
              [&c, pass, device](benchmark::State& st) { run_gemm(st, c, pass, device); });
        }
        if (device.is_cuda() && (c.op == "conv2d" || c.op == "batch_norm")) {
          reg(ours + "/cudnn", [&c, pass, device, ours](benchmark::State& st) {
            run_op(st, c, pass, device, /*cudnn=*/true, ours);
          });
        }
        reg(ours, [&c, pass, device](benchmark::State& st) { run_op(st, c, pass, device, false); });
      }
    }
    for (int pass = 0; pass < 2; ++pass) {
      reg(fmt::format("{}/{}/softmax_cross_entropy/{}x10", pass == 0 ? "fwd" : "bwd", dev, g_batch),
          [pass, device](benchmark::State& st) { run_loss(st, pass, device); });
    }
    for (const char* model : {"inception", "alexnet", "mlp1x512", "mlp3x512"}) {
      reg(fmt::format("update/{}/sgd/{}", dev, model),
          [model, device](benchmark::State& st) { run_sgd(st, model, device); });
    }
  }
}

}  // namespace
}  // namespace rethink

int main(int argc, char** argv) {
  using namespace rethink;
  try {
    const Options o = take_our_flags(&argc, argv);
    // Listing the rows needs no roofline (a second of SGEMM and triad).
    bool listing = false;
    for (int i = 1; i < argc; ++i) {
      const std::string_view arg = argv[i];
      listing = listing || (arg.starts_with("--benchmark_list_tests") && !arg.ends_with("=false"));
    }
    const int threads = set_thread_count(o.threads);
    const kernels::cpu::BlasInfo blas = kernels::cpu::blas_info();
    benchmark::AddCustomContext("rethink_threads", std::to_string(threads));
    benchmark::AddCustomContext(
        "openblas", fmt::format("{} ({} threads, {})", blas.config, blas.threads, blas.threading));
    benchmark::AddCustomContext("batch", std::to_string(g_batch));
    const std::vector<Device> devices = bench::devices_of(o.devices);
    register_benchmarks(devices);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
    for (const Device device : listing ? std::vector<Device>{} : devices) {
      Roofline r;
      if (device.is_cpu()) {
        r = measure_cpu_roofline();
        benchmark::AddCustomContext("cpu_sgemm_n", std::to_string(g_peak_n));
      } else {
#if RETHINK_WITH_CUDA
        double tf32 = 0;
        r = measure_gpu_roofline(device, &tf32);
        benchmark::AddCustomContext("cuda_peak_tf32_GFLOP/s", fmt::format("{:.1f}", tf32));
#endif
      }
      g_roofline[device_name(device)] = r;
      benchmark::AddCustomContext(device_name(device) + "_peak_fp32_GFLOP/s",
                                  fmt::format("{:.1f}", r.gflops));
      benchmark::AddCustomContext(device_name(device) + "_bandwidth_GB/s",
                                  fmt::format("{:.1f}", r.gbps));
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    if (g_failed) return 1;
  } catch (const UserError& e) {
    fmt::print(stderr, "ops_bench: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "ops_bench: {}\n", e.what());
    return 1;
  }
  return 0;
}
