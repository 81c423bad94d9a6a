// The loader's gather-transform kernel (kernels/batch_transform.h) on the CPU: a batch of 128
// at 28x28x3 from a uint8 32x32x3 data set, and beside it one SGD training step of the MLPs on
// 28x28x3 inputs (bench/train_step_bench.cpp's setup), so that the kernel's share of a step can
// be read off (goal: <= 5%). Where a GPU is usable, the same batches made there from the data
// set uploaded once (batch_transform/cuda/...; each iteration ends by copying one float back,
// which waits for the kernels).
//
//   RETHINK_THREADS=N batch_transform_bench [Google Benchmark flags]
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "datasets/augment.h"
#include "datasets/batch_loader.h"
#include "models/zoo/registry.h"
#include "runtime/ops/softmax_cross_entropy.h"
#include "runtime/optim/sgd.h"
#include "runtime/gpu.h"
#include "runtime/memory.h"
#include "runtime/parameter_slab.h"
#include "runtime/random.h"
#include "runtime/threads.h"

namespace rethink {
namespace {

constexpr int64_t kBatch = 128;
constexpr int64_t kImages = 4096;  // larger than the caches, as a data set is
constexpr uint64_t kSeed = 1;

Split bytes_split() {
  const PhiloxStream s = PhiloxStream::make(kSeed, RngPurpose::kData);
  std::vector<uint8_t> px(static_cast<size_t>(kImages * 32 * 32 * 3));
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>(s.bits(i));
  std::vector<int32_t> y(static_cast<size_t>(kImages));
  for (int64_t i = 0; i < kImages; ++i) y[static_cast<size_t>(i)] = static_cast<int32_t>(i % 10);
  return {Tensor::from_vector(Shape{kImages, 32, 32, 3}, px),
          Tensor::from_vector(Shape{kImages}, y)};
}

void batch_transform(benchmark::State& state, const char* augment, Device device) {
  static const Split host = bytes_split();
  const Split split{host.images.to(device), host.labels.to(device)};
  LoaderOptions options;
  options.augment = parse_augment(augment);
  options.seed = kSeed;
  BatchLoader loader(split, kBatch, options);
  float last = 0;
  int64_t epoch = 0;
  loader.start_epoch(epoch);
  Batch batch;
  for (auto _ : state) {
    if (!loader.next(batch)) {
      loader.start_epoch(++epoch);
      loader.next(batch);
    }
    if (device.is_cuda()) {
      copy_bytes(Device::cpu(), &last, device, batch.images.raw_data(), sizeof last);
    }
    benchmark::DoNotOptimize(batch.images.raw_data());
    benchmark::ClobberMemory();
  }
  benchmark::DoNotOptimize(last);
  const double images = static_cast<double>(state.iterations()) * kBatch;
  state.counters["images/s"] = benchmark::Counter(images, benchmark::Counter::kIsRate);
  state.counters["GB/s_out"] =
      benchmark::Counter(images * 28 * 28 * 3 * 4 / 1e9, benchmark::Counter::kIsRate);
}

// As bench/train_step_bench.cpp: forward, loss (read), zero_grad, backward, SGD update.
void mlp_step(benchmark::State& state, const char* name) {
  const ModelInput in{3, 28, 28, 10};
  std::shared_ptr<Module> model = make_model(name, in);
  model->initialize(kSeed);
  model->set_training(true);
  ParameterSlab slab(model->parameters());
  Sgd sgd(slab, SgdOptions{0.9, 0.0, false});
  Tensor images = Tensor::empty(Shape{kBatch, 28, 28, 3});
  fill_normal(images, 0.0, 1.0, PhiloxStream::make(kSeed, RngPurpose::kPixels));
  std::vector<int32_t> y(static_cast<size_t>(kBatch));
  for (int64_t i = 0; i < kBatch; ++i) y[static_cast<size_t>(i)] = static_cast<int32_t>(i % 10);
  const Tensor labels = Tensor::from_vector(Shape{kBatch}, y);
  float loss_value = NAN;
  for (auto _ : state) {
    const Tensor loss = ops::softmax_cross_entropy(model->forward(images), labels);
    loss_value = loss.item<float>();
    sgd.zero_grad();
    loss.backward();
    sgd.step(0.01);
    benchmark::ClobberMemory();
  }
  if (!std::isfinite(loss_value)) state.SkipWithError("the loss is not finite");
}

}  // namespace
}  // namespace rethink

int main(int argc, char** argv) {
  using namespace rethink;
  // RETHINK_THREADS: OpenMP and OpenBLAS threads (default: every core).
  const char* env = std::getenv("RETHINK_THREADS");
  const int threads = set_thread_count(env != nullptr ? std::atoi(env) : 0);
  benchmark::AddCustomContext("rethink_threads", std::to_string(threads));
  std::vector<Device> devices = {Device::cpu()};
  if (!query_gpus().devices.empty()) devices.push_back(Device::cuda(0));
  for (const Device device : devices) {
    const std::string where = device.is_cuda() ? "cuda/" : "";
    for (const char* augment :
         {"none", "crop,flip", "crop,flip,color", "crop,flip,color,rotate"}) {
      benchmark::RegisterBenchmark(
          fmt::format("batch_transform/{}uint8_32x32x3_to_28x28x3/batch:{}/augment:{}", where,
                      kBatch, augment)
              .c_str(),
          [augment, device](benchmark::State& s) { batch_transform(s, augment, device); })
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
    }
  }
  for (const char* model : {"mlp1x512", "mlp3x512"}) {
    benchmark::RegisterBenchmark(
        fmt::format("train_step/{}/28x28x3/batch:{}", model, kBatch).c_str(),
        [model](benchmark::State& s) { mlp_step(s, model); })
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
