// One full SGD training step of every zoo model at batch 128, exactly as the trainer takes it
// (experiments/trainer.cpp), data included:
//   data      the BatchLoader's gather-transform of the next batch from a uint8 data set held
//             on the device, by the epoch's Philox order (center crop to 28x28, whitening)
//   forward   logits, softmax cross-entropy, read the loss
//   backward  zero the gradients, backward, the L2 norm of the gradient slab (read)
//   update    the fused SGD-with-momentum step (momentum 0.9, no weight decay; lr 0.1 for
//             inception*, 0.01 otherwise: the paper's) and the batch's correct count (read)
// bench/torch_reference.py times the same step in PyTorch and bench/compare puts the two side
// by side (docs/BENCHMARKS.md).
//
//   train_step_bench [--threads=N] [--models=a,b] [--inputs=32x32x3,28x28x1] [--batch=128]
//                    [--devices=auto|cpu|cuda|cpu,cuda] [--conv-engine=ours|cudnn] [--phases]
//                    [Google Benchmark flags]
//
// Rows: train_step/<device>/<model>/<batch HxWxC>. --inputs lists the STORED image sizes;
// batches are their center 28x28 crop, as `rethink fit` makes them: 32x32x3 (CIFAR-10) gives
// 28x28x3 batches, 28x28x1 (Fashion-MNIST) 28x28x1. --devices auto (the default) adds the cuda
// rows when a GPU is usable and says in the context why not otherwise; asking for cuda without
// one is an error. --threads (or RETHINK_THREADS) sets the OpenMP and OpenBLAS thread count
// (0, the default: every core). Counters: images/s, params, rethink_threads, first_loss,
// last_loss, launches (kernel launches and cuBLAS/cuDNN calls per step: 0 on the CPU), and with
// --phases the milliseconds of each phase (on a GPU the phases synchronize, which costs a
// little). A non-finite loss fails the row and the exit status.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench_devices.h"
#include "bench/bench_flags.h"
#include "datasets/batch_loader.h"
#include "experiments/grad_norm.h"
#include "kernels/blas_info.h"
#include "kernels/error.h"
#include "kernels/launch_counter.h"
#include "models/zoo/registry.h"
#include "runtime/compute_settings.h"
#include "runtime/cuda_context.h"
#include "runtime/gpu.h"
#include "runtime/ops/accuracy.h"
#include "runtime/ops/softmax_cross_entropy.h"
#include "runtime/optim/sgd.h"
#include "runtime/parameter_slab.h"
#include "runtime/random.h"
#include "runtime/tensor.h"
#include "runtime/threads.h"

namespace rethink {
namespace {

int64_t g_batch = 128;             // --batch: the smoke test's is small
constexpr int64_t kImages = 4096;  // the data set: larger than the caches, as a real one is
constexpr uint64_t kSeed = 1;
constexpr int64_t kClasses = 10;

bool g_phases = false;
bool g_failed = false;  // a step went wrong: exit non-zero, so the ctest smoke run fails
ConvEngine g_engine = ConvEngine::kOurs;

struct StoredShape {
  int64_t height, width, channels;
  std::string name() const { return fmt::format("{}x{}x{}", height, width, channels); }
};

StoredShape parse_stored(const std::string& text) {
  std::vector<std::string> parts;
  for (size_t start = 0;;) {
    const size_t x = text.find('x', start);
    parts.push_back(text.substr(start, x == std::string::npos ? x : x - start));
    if (x == std::string::npos) break;
    start = x + 1;
  }
  if (parts.size() != 3) {
    throw UserError(
        fmt::format("--inputs '{}': give stored image sizes as HxWxC, e.g. 32x32x3", text));
  }
  const std::string what = fmt::format("--inputs '{}'", text);
  return {bench::parse_count(parts[0], what, 1), bench::parse_count(parts[1], what, 1),
          bench::parse_count(parts[2], what, 1)};
}

// kImages uniform random bytes images of `shape` and uniform labels, on the host; made once
// per shape (the values do not change the work).
const Split& host_split(const StoredShape& shape) {
  static std::map<std::string, Split> made;
  const auto found = made.find(shape.name());
  if (found != made.end()) return found->second;
  const int64_t image = shape.height * shape.width * shape.channels;
  const PhiloxStream pixels = PhiloxStream::make(kSeed, RngPurpose::kPixels);
  const PhiloxStream labels = PhiloxStream::make(kSeed, RngPurpose::kLabels);
  std::vector<uint8_t> px(static_cast<size_t>(kImages * image));
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>(pixels.bits(i));
  std::vector<int32_t> y(static_cast<size_t>(kImages));
  for (int64_t i = 0; i < kImages; ++i) {
    y[static_cast<size_t>(i)] =
        static_cast<int32_t>(labels.below(static_cast<uint64_t>(i), kClasses));
  }
  Split split{Tensor::from_vector(Shape{kImages, shape.height, shape.width, shape.channels}, px),
              Tensor::from_vector(Shape{kImages}, y)};
  return made.emplace(shape.name(), std::move(split)).first->second;
}

double learning_rate(const std::string& model) {  // experiments/fit_options.cpp's default_lr
  return model.starts_with("inception") ? 0.1 : 0.01;
}

using Clock = std::chrono::steady_clock;

// Phase boundaries: on a GPU the device is synchronized first, so each phase's kernels are
// charged to it.
struct PhaseClock {
  Device device;
  Clock::time_point now() const {
    if (device.is_cuda()) synchronize(device);
    return Clock::now();
  }
};

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

struct Row {
  std::string model;
  StoredShape stored;
  Device device;
};

void train_step(benchmark::State& state, const Row& row) {
  ComputeSettingsScope settings(
      {.conv_engine = row.device.is_cuda() ? g_engine : ConvEngine::kOurs});
  const Split& host = host_split(row.stored);
  const Split split{host.images.to(row.device), host.labels.to(row.device)};
  BatchLoader loader(split, g_batch, {.seed = kSeed});
  const kernels::TransformShape& shape = loader.shape();
  const ModelInput in{shape.channels, shape.out_h, shape.out_w, kClasses};
  std::shared_ptr<Module> model = make_model(row.model, in);
  model->initialize(kSeed);
  model->to(row.device);
  ParameterSlab slab(model->parameters());
  Sgd sgd(slab, SgdOptions{0.9, 0.0, false});
  const double lr = learning_rate(row.model);
  const PhaseClock clock{row.device};

  int64_t epoch = 0, step = 0;
  loader.start_epoch(epoch);
  double data_ms = 0, forward_ms = 0, backward_ms = 0, update_ms = 0;
  float first_loss = NAN, loss_value = NAN;
  int64_t correct = 0, launches = 0;
  Batch batch;
  // One step: the trainer's (experiments/trainer.cpp), phase by phase.
  const auto one_step = [&](bool timed) {
    const Clock::time_point t0 = timed ? clock.now() : Clock::time_point{};
    if (!loader.next(batch)) {
      loader.start_epoch(++epoch);
      loader.next(batch);
    }
    const Clock::time_point t1 = timed ? clock.now() : Clock::time_point{};
    model->set_training(true);
    model->set_step(step++);
    const Tensor logits = model->forward(batch.images);
    const Tensor loss = ops::softmax_cross_entropy(logits, batch.labels);
    loss_value = loss.item<float>();
    const Clock::time_point t2 = timed ? clock.now() : Clock::time_point{};
    sgd.zero_grad();
    loss.backward();
    const double norm = l2_norm(slab.grads());
    benchmark::DoNotOptimize(norm);
    const Clock::time_point t3 = timed ? clock.now() : Clock::time_point{};
    sgd.step(lr);
    correct += ops::count_correct(logits, batch.labels);
    if (timed) {
      const Clock::time_point t4 = clock.now();
      data_ms += ms_between(t0, t1);
      forward_ms += ms_between(t1, t2);
      backward_ms += ms_between(t2, t3);
      update_ms += ms_between(t3, t4);
    }
  };

  one_step(false);  // first touch of every buffer, outside the timing
  first_loss = loss_value;
  const int64_t launches_before = kernels::device_launches();
  int64_t images = 0;  // a final partial batch of an epoch counts what it holds
  for (auto _ : state) {
    one_step(g_phases);
    images += batch.labels.numel();
    benchmark::ClobberMemory();
  }
  launches = kernels::device_launches() - launches_before;
  benchmark::DoNotOptimize(correct);
  if (!std::isfinite(loss_value)) {
    g_failed = true;
    state.SkipWithError(fmt::format("the loss became {}", loss_value).c_str());
    return;
  }

  using benchmark::Counter;
  const double iterations = static_cast<double>(state.iterations());
  state.SetItemsProcessed(images);
  state.SetLabel(fmt::format("uint8 {} -> {}x{}x{}", row.stored.name(), shape.out_h, shape.out_w,
                             shape.channels));
  state.counters["images/s"] = Counter(static_cast<double>(images), Counter::kIsRate);
  state.counters["rethink_threads"] = thread_count();
  state.counters["params"] = static_cast<double>(slab.numel());
  state.counters["first_loss"] = first_loss;
  state.counters["last_loss"] = loss_value;
  state.counters["launches"] = static_cast<double>(launches) / iterations;
  if (g_phases) {
    state.counters["data_ms"] = Counter(data_ms, Counter::kAvgIterations);
    state.counters["forward_ms"] = Counter(forward_ms, Counter::kAvgIterations);
    state.counters["backward_ms"] = Counter(backward_ms, Counter::kAvgIterations);
    state.counters["update_ms"] = Counter(update_ms, Counter::kAvgIterations);
  }
}

struct Options {
  int threads = bench::threads_from_environment();
  std::vector<std::string> models;  // empty: every model of the zoo
  std::vector<std::string> inputs = {"32x32x3", "28x28x1"};
  std::string devices = "auto";
};

Options take_our_flags(int* argc, char** argv) {
  Options o;
  bench::take_flags(argc, argv, [&](std::string_view name, std::string_view value) {
    if (name == "threads") {
      o.threads = static_cast<int>(bench::parse_count(value, "--threads", 0));
    } else if (name == "batch") {
      g_batch = bench::parse_count(value, "--batch", 1);
    } else if (name == "models") {
      o.models = bench::split_list(value);
    } else if (name == "inputs") {
      o.inputs = bench::split_list(value);
    } else if (name == "devices") {
      o.devices = std::string(value);
    } else if (name == "conv-engine") {
      g_engine = parse_conv_engine(std::string(value));
    } else if (name == "phases" && value.empty()) {
      g_phases = true;
    } else {
      return false;
    }
    return true;
  });
  return o;
}

}  // namespace
}  // namespace rethink

int main(int argc, char** argv) {
  using namespace rethink;
  try {
    Options o = take_our_flags(&argc, argv);
    const int threads = set_thread_count(o.threads);
    const kernels::cpu::BlasInfo blas = kernels::cpu::blas_info();
    benchmark::AddCustomContext("rethink_threads", std::to_string(threads));
    benchmark::AddCustomContext(
        "openblas", fmt::format("{} ({} threads, {})", blas.config, blas.threads, blas.threading));
    benchmark::AddCustomContext("batch", std::to_string(g_batch));
    const char* wait = std::getenv("OMP_WAIT_POLICY");
    benchmark::AddCustomContext("omp_wait_policy", wait != nullptr ? wait : "(not set)");
    benchmark::AddCustomContext("conv_engine_on_gpu", std::string(conv_engine_name(g_engine)));
    if (o.models.empty()) {
      for (const ModelEntry& e : model_registry()) o.models.push_back(e.name);
    }
    std::vector<StoredShape> inputs;
    for (const std::string& text : o.inputs) inputs.push_back(parse_stored(text));
    for (const std::string& m : o.models) make_model(m, ModelInput{});  // unknown: UserError
    static std::vector<Row> rows;  // the benchmarks hold pointers to them
    for (const Device device : bench::devices_of(o.devices)) {
      for (const std::string& m : o.models) {
        for (const StoredShape& s : inputs) rows.push_back({m, s, device});
      }
    }
    for (const Row& row : rows) {
      const int64_t h = std::min(row.stored.height, kCropSize);
      const int64_t w = std::min(row.stored.width, kCropSize);
      benchmark::RegisterBenchmark(
          fmt::format("train_step/{}/{}/{}x{}x{}", row.device.is_cuda() ? "cuda" : "cpu", row.model,
                      h, w, row.stored.channels)
              .c_str(),
          [&row](benchmark::State& state) { train_step(state, row); })
          ->UseRealTime()  // several threads, or a GPU: wall time is what counts
          ->Unit(benchmark::kMillisecond);
    }

    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    if (g_failed) return 1;
  } catch (const UserError& e) {
    fmt::print(stderr, "train_step_bench: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "train_step_bench: {}\n", e.what());
    return 1;
  }
  return 0;
}
