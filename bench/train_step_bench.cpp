// One full SGD training step of the paper's MLPs on the CPU, exactly as the trainer takes it
// (experiments/trainer.cpp): forward, softmax cross-entropy, read the loss, zero the gradients,
// backward, fused SGD-with-momentum update. The batch (128 images) is already in memory, so the
// numbers are the step alone; bench/torch_mlp.py times the same step in PyTorch and
// bench/compare_mlp puts the two side by side (docs/BENCHMARKS.md).
//
//   train_step_bench [--threads=N] [--phases] [Google Benchmark flags]
//
// --threads (or RETHINK_THREADS) sets the OpenMP and OpenBLAS thread count; 0, the default,
// means every core. --phases adds per-phase milliseconds (forward, loss, zero_grad, backward,
// update) as counters, to see where a step's time goes.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/blas_info.h"
#include "kernels/error.h"
#include "models/zoo/registry.h"
#include "runtime/ops/softmax_cross_entropy.h"
#include "runtime/optim/sgd.h"
#include "runtime/parameter_slab.h"
#include "runtime/random.h"
#include "runtime/tensor.h"
#include "runtime/threads.h"

namespace rethink {
namespace {

constexpr int64_t kBatch = 128;
constexpr double kLr = 0.01;
constexpr uint64_t kSeed = 1;

bool g_phases = false;
bool g_failed = false;  // a step went wrong: exit non-zero, so the ctest smoke run fails

struct BenchModel {
  std::string name;   // in the zoo
  std::string shape;  // layer widths, for the benchmark's name
  ModelInput input;
};

using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

void train_step(benchmark::State& state, const BenchModel& spec) {
  const ModelInput& in = spec.input;
  std::shared_ptr<Module> model = make_model(spec.name, in);
  model->initialize(kSeed);
  model->set_training(true);
  ParameterSlab slab(model->parameters());
  Sgd sgd(slab, SgdOptions{0.9, 0.0, false});

  // Fixed random data: standard normal pixels, uniform labels.
  Tensor images = Tensor::empty(Shape{kBatch, in.channels, in.height, in.width});
  fill_normal(images, 0.0, 1.0, PhiloxStream::make(kSeed, RngPurpose::kPixels));
  const PhiloxStream label_stream = PhiloxStream::make(kSeed, RngPurpose::kLabels);
  std::vector<int32_t> label_values(static_cast<size_t>(kBatch));
  for (int64_t i = 0; i < kBatch; ++i) {
    label_values[static_cast<size_t>(i)] = static_cast<int32_t>(
        label_stream.below(static_cast<uint64_t>(i), static_cast<uint32_t>(in.classes)));
  }
  const Tensor labels = Tensor::from_vector(Shape{kBatch}, label_values);

  double forward_ms = 0, loss_ms = 0, zero_ms = 0, backward_ms = 0, update_ms = 0;
  float first_loss = NAN, loss_value = NAN;
  for (auto _ : state) {
    const Clock::time_point t0 = g_phases ? Clock::now() : Clock::time_point{};
    const Tensor logits = model->forward(images);
    const Clock::time_point t1 = g_phases ? Clock::now() : Clock::time_point{};
    const Tensor loss = ops::softmax_cross_entropy(logits, labels);
    loss_value = loss.item<float>();  // the trainer reads the loss every step
    benchmark::DoNotOptimize(loss_value);
    const Clock::time_point t2 = g_phases ? Clock::now() : Clock::time_point{};
    sgd.zero_grad();
    const Clock::time_point t3 = g_phases ? Clock::now() : Clock::time_point{};
    loss.backward();
    const Clock::time_point t4 = g_phases ? Clock::now() : Clock::time_point{};
    sgd.step(kLr);
    benchmark::ClobberMemory();
    if (g_phases) {
      const Clock::time_point t5 = Clock::now();
      forward_ms += ms_between(t0, t1);
      loss_ms += ms_between(t1, t2);
      zero_ms += ms_between(t2, t3);
      backward_ms += ms_between(t3, t4);
      update_ms += ms_between(t4, t5);
    }
    if (std::isnan(first_loss)) first_loss = loss_value;
  }
  if (!std::isfinite(loss_value)) {
    g_failed = true;
    state.SkipWithError(fmt::format("the loss became {}", loss_value).c_str());
    return;
  }

  const double images_done = static_cast<double>(state.iterations()) * static_cast<double>(kBatch);
  state.SetItemsProcessed(static_cast<int64_t>(images_done));
  state.counters["images/s"] = benchmark::Counter(images_done, benchmark::Counter::kIsRate);
  state.counters["rethink_threads"] = thread_count();
  state.counters["params"] = static_cast<double>(slab.numel());
  state.counters["first_loss"] = first_loss;
  state.counters["last_loss"] = loss_value;
  if (g_phases) {
    using benchmark::Counter;
    state.counters["fwd_ms"] = Counter(forward_ms, Counter::kAvgIterations);
    state.counters["loss_ms"] = Counter(loss_ms, Counter::kAvgIterations);
    state.counters["zero_ms"] = Counter(zero_ms, Counter::kAvgIterations);
    state.counters["bwd_ms"] = Counter(backward_ms, Counter::kAvgIterations);
    state.counters["upd_ms"] = Counter(update_ms, Counter::kAvgIterations);
  }
}

int parse_thread_count(std::string_view text, std::string_view what) {
  int value = -1;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || value < 0) {
    throw UserError(
        fmt::format("{} '{}' is not a thread count: give a whole number >= 0 (0 means "
                    "every core)",
                    what, text));
  }
  return value;
}

// Removes our own flags from argv (Google Benchmark rejects flags it does not know) and returns
// the requested thread count (0: every core).
int take_our_flags(int* argc, char** argv) {
  int threads = 0;
  if (const char* env = std::getenv("RETHINK_THREADS"); env != nullptr && *env != '\0') {
    threads = parse_thread_count(env, "RETHINK_THREADS");
  }
  int kept = 1;
  for (int i = 1; i < *argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("--threads=")) {
      threads = parse_thread_count(arg.substr(10), "--threads");
    } else if (arg == "--threads" && i + 1 < *argc) {
      threads = parse_thread_count(argv[++i], "--threads");
    } else if (arg == "--phases") {
      g_phases = true;
    } else {
      argv[kept++] = argv[i];
    }
  }
  *argc = kept;
  argv[kept] = nullptr;
  return threads;
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
    benchmark::AddCustomContext("batch", std::to_string(kBatch));

    static const std::vector<BenchModel> models = {
        {"mlp1x512", "784-512-10", ModelInput{1, 28, 28, 10}},
        {"mlp3x512", "2352-512x3-10", ModelInput{3, 28, 28, 10}},
    };
    for (const BenchModel& m : models) {
      benchmark::RegisterBenchmark(
          fmt::format("train_step/{}/{}/batch:{}", m.name, m.shape, kBatch).c_str(),
          [&m](benchmark::State& state) { train_step(state, m); })
          ->UseRealTime()  // the step runs on several threads: wall time is what counts
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
