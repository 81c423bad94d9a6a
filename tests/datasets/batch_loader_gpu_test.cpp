// The device-resident loader on the GPU against the same loader on the CPU (label gpu): the data
// set moved to the device once, batches made there by kernels/cuda/batch_transform.cu. Integers
// (the epoch's permutation as applied, crop offsets, flip bits, labels) must agree bit for bit,
// float pixels within 1e-5 + 1e-5 |x|. Skips, printing why, without a usable GPU; fails then
// under RETHINK_REQUIRE_GPU=1.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "datasets/augment.h"
#include "datasets/batch_loader.h"
#include "datasets/device_dataset.h"
#include "datasets/randomize.h"
#include "runtime/gpu.h"
#include "tests/support/data.h"
#include "tests/support/gpu.h"

namespace rethink {
namespace {

// n uint8 images of h x w x c with Philox-random bytes and labels, train and test.
Dataset random_bytes(int64_t n, int64_t h, int64_t w, int64_t c, uint64_t seed) {
  const auto split = [&](int64_t count, uint64_t s) {
    const auto v = test::uniform_values<double>(count * h * w * c, s, 0, 256);
    std::vector<uint8_t> px(v.begin(), v.end());
    return Split{Tensor::from_vector(Shape{count, h, w, c}, px),
                 Tensor::from_vector(Shape{count}, test::index_values(count, 10, s))};
  };
  Dataset d;
  d.spec = "test";
  d.train = split(n, seed);
  d.test = split(n / 5, seed + 1);
  d.channels = c;
  d.height = h;
  d.width = w;
  d.classes = 10;
  d.full_train_size = n;
  return d;
}

Dataset copy_of(const Dataset& d) {
  Dataset e = d;
  for (Split* s : {&e.train, &e.test}) {
    s->images = s->images.clone();
    s->labels = s->labels.clone();
  }
  return e;
}

// Everything one pass of a loader yields, on the host.
struct Pass {
  std::vector<float> images;
  std::vector<int32_t> labels;
  std::vector<AugmentDraw> draws;
};

Pass run_pass(const Split& split, const LoaderOptions& options, int64_t epoch) {
  BatchLoader loader(split, 96, options);
  loader.start_epoch(epoch);
  Pass p;
  Batch batch;
  while (loader.next(batch)) {
    const auto x = batch.images.to_vector<float>();
    const auto y = batch.labels.to_vector<int32_t>();
    const auto d = loader.last_draws();
    p.images.insert(p.images.end(), x.begin(), x.end());
    p.labels.insert(p.labels.end(), y.begin(), y.end());
    p.draws.insert(p.draws.end(), d.begin(), d.end());
  }
  return p;
}

void expect_same_pass(const Pass& gpu, const Pass& cpu, const std::string& what) {
  SCOPED_TRACE(what);
  ASSERT_EQ(gpu.labels, cpu.labels);
  ASSERT_EQ(gpu.draws.size(), cpu.draws.size());
  for (size_t i = 0; i < cpu.draws.size(); ++i) {
    const AugmentDraw &g = gpu.draws[i], &c = cpu.draws[i];
    ASSERT_EQ(g.source, c.source) << "image " << i << ": another permutation";
    ASSERT_EQ(g.oy, c.oy) << i;
    ASSERT_EQ(g.ox, c.ox) << i;
    ASSERT_EQ(g.flip, c.flip) << i;
    // The same bits through the same float formulas; only contraction into FMAs may differ.
    ASSERT_NEAR(g.degrees, c.degrees, 1e-5f) << i;
    ASSERT_NEAR(g.brightness, c.brightness, 1e-6f) << i;
    ASSERT_NEAR(g.contrast, c.contrast, 1e-6f) << i;
  }
  ASSERT_EQ(gpu.images.size(), cpu.images.size());
  int64_t failures = 0;
  size_t worst = 0;
  double worst_excess = -1;
  for (size_t k = 0; k < cpu.images.size(); ++k) {
    const double bound = 1e-5 + 1e-5 * std::abs(cpu.images[k]);
    const double excess = std::abs(static_cast<double>(gpu.images[k]) - cpu.images[k]) / bound;
    if (!(excess <= 1)) ++failures;
    if (!(excess <= worst_excess)) {
      worst_excess = excess;
      worst = k;
    }
  }
  EXPECT_EQ(failures, 0) << "of " << cpu.images.size() << " pixels; worst at " << worst << ": "
                         << gpu.images[worst] << " on the GPU vs " << cpu.images[worst];
}

TEST(BatchLoaderGpuTest, EveryTransformMatchesTheCpu) {
  RT_SKIP_WITHOUT_GPU();
  const Device gpu = Device::cuda(0);
  // CIFAR-sized bytes (center crop 32 -> 28), MNIST-sized bytes (zero padding for the crop),
  // and float32 Gaussian inputs as the randomization stores them.
  Dataset cifar = random_bytes(250, 32, 32, 3, 1);
  Dataset mnist = random_bytes(250, 28, 28, 1, 2);
  Dataset gaussian = random_bytes(250, 32, 32, 3, 3);
  randomize(gaussian, {.mode = Randomization::kGaussian, .seed = 9});
  for (const auto& [name, host] : {std::pair<std::string, Dataset*>{"cifar uint8", &cifar},
                                   {"mnist uint8", &mnist},
                                   {"gaussian float32", &gaussian}}) {
    Dataset device = copy_of(*host);
    move_dataset_to(device, gpu);
    ASSERT_TRUE(device.train.images.device().is_cuda());
    for (const char* augment : {"none", "crop,flip", "crop,flip,color,rotate"}) {
      for (const bool whiten : {true, false}) {
        const LoaderOptions options{
            .augment = parse_augment(augment), .whiten = whiten, .seed = 7};
        for (const int64_t epoch : {0, 3}) {
          const std::string what = name + " " + augment + (whiten ? " whitened" : "") +
                                   " epoch " + std::to_string(epoch);
          expect_same_pass(run_pass(device.train, options, epoch),
                           run_pass(host->train, options, epoch), what);
        }
      }
    }
    // The evaluation pass over the test split: stored order, center crop.
    BatchLoader on_gpu(device.test, 32), on_cpu(host->test, 32);
    on_gpu.start();
    on_cpu.start();
    Batch g, c;
    while (on_cpu.next(c)) {
      ASSERT_TRUE(on_gpu.next(g));
      EXPECT_TRUE(g.images.device().is_cuda());
      EXPECT_EQ(g.labels.to_vector<int32_t>(), c.labels.to_vector<int32_t>()) << name;
      const auto gx = g.images.to_vector<float>(), cx = c.images.to_vector<float>();
      for (size_t k = 0; k < cx.size(); ++k) {
        ASSERT_NEAR(gx[k], cx[k], 1e-5 + 1e-5 * std::abs(cx[k])) << name << " " << k;
      }
    }
    EXPECT_FALSE(on_gpu.next(g));
  }
}

TEST(BatchLoaderGpuTest, TheDataSetIsUploadedOnceAndServesEveryLoaderInPlace) {
  RT_SKIP_WITHOUT_GPU();
  Dataset d = random_bytes(64, 32, 32, 3, 4);
  move_dataset_to(d, Device::cuda(0));
  const Tensor uploaded = d.train.images;
  EXPECT_EQ(uploaded.dtype(), DType::kUInt8);  // stored as read, not as float
  move_dataset_to(d, Device::cuda(0));         // already there: nothing is copied
  EXPECT_TRUE(d.train.images.shares_memory_with(uploaded));
  BatchLoader loader(d.train, 16);
  loader.start_epoch(0);
  Batch batch;
  ASSERT_TRUE(loader.next(batch));
  EXPECT_TRUE(batch.images.device().is_cuda());
  EXPECT_TRUE(batch.labels.device().is_cuda());
  EXPECT_EQ(batch.images.shape(), (Shape{16, 28, 28, 3}));
}

TEST(BatchLoaderGpuTest, ADataSetLargerThanTheFreeMemoryIsRefusedWithItsSizes) {
  RT_SKIP_WITHOUT_GPU();
  const std::optional<GpuMemory> memory = gpu_memory(0);
  ASSERT_TRUE(memory.has_value());
  EXPECT_GT(memory->total_bytes, memory->free_bytes / 2);
  const Dataset d = random_bytes(64, 32, 32, 3, 5);
  const size_t bytes = split_bytes(d.train) + split_bytes(d.test);
  EXPECT_NO_THROW(check_dataset_fits(d, Device::cuda(0), memory->free_bytes, memory->total_bytes));
  try {
    check_dataset_fits(d, Device::cuda(0), bytes - 1, memory->total_bytes);
    ADD_FAILURE() << "accepted";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("does not fit on cuda:0"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace rethink
