// The device plumbing under the ops: copies between devices, poisoned allocations, the
// caching allocator (no driver allocation once a step has run), out-of-memory and unsupported
// device messages, and the parity harness itself (it must catch an unwritten element).
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "runtime/autograd.h"
#include "runtime/cuda_context.h"
#include "runtime/device_allocator.h"
#include "runtime/gpu.h"
#include "runtime/ops/linear.h"
#include "runtime/ops/relu.h"
#include "runtime/ops/softmax_cross_entropy.h"
#include "runtime/optim/sgd.h"
#include "tests/support/device_test.h"
#include "tests/support/gradcheck.h"
#include "tests/support/parity.h"
#include "tests/support/throws.h"

namespace rethink {
namespace {

template <class D>
class DeviceRuntime : public test::DeviceTest<D> {};
TYPED_TEST_SUITE(DeviceRuntime, test::Devices, test::DeviceNames);

TYPED_TEST(DeviceRuntime, CopiesRoundTripThroughTheDevice) {
  const Device d = this->device();
  const Tensor host = test::uniform_tensor(Shape{3, 1000}, 1);
  const Tensor on_device = host.to(d);
  EXPECT_EQ(on_device.device(), d);
  EXPECT_TRUE(test::bitwise_equal(on_device, host));
  const Tensor twin = on_device.clone();  // device to device
  EXPECT_FALSE(twin.shares_memory_with(on_device));
  EXPECT_TRUE(test::bitwise_equal(twin.to(Device::cpu()), host));
  // copy_ in every direction, and through views at an offset.
  const Tensor back = Tensor::zeros(Shape{3, 1000});
  back.copy_(twin);
  EXPECT_TRUE(test::bitwise_equal(back, host));
  const Tensor part = Tensor::zeros(Shape{500}, DType::kFloat32, d);
  part.copy_(host.flat_view(1234, Shape{500}));
  EXPECT_TRUE(test::bitwise_equal(part, host.flat_view(1234, Shape{500})));
  EXPECT_TRUE(test::bitwise_equal(on_device.flat_view(1234, Shape{500}), part));
  const std::vector<int32_t> ints = {1, -2, 3, 1 << 30};
  EXPECT_EQ(Tensor::from_vector(Shape{4}, ints, d).to_vector<int32_t>(), ints);
}

TYPED_TEST(DeviceRuntime, PoisonedAllocationsAreNaN) {
  PoisonScope poison;
  const Tensor t = Tensor::empty(Shape{1000}, DType::kFloat32, this->device());
  for (const float v : t.to_vector<float>()) ASSERT_TRUE(std::isnan(v));
  const Tensor i = Tensor::empty(Shape{10}, DType::kInt32, this->device());
  for (const int32_t v : i.to_vector<int32_t>()) ASSERT_EQ(v, -1);
}

// The harness must fail an op that leaves an output element unwritten: poisoned, it reads NaN.
TYPED_TEST(DeviceRuntime, TheParityHarnessCatchesAnUnwrittenElement) {
  const Device d = this->device();
  const auto leaves_one = [](const std::vector<Tensor>& in) {
    const Tensor y = Tensor::empty(in[0].shape(), in[0].dtype(), in[0].device());
    y.flat_view(0, Shape{in[0].numel() - 1}).fill_(1.0);
    return std::vector<Tensor>{y};
  };
  ::testing::TestPartResultArray failures;
  {
    const ::testing::ScopedFakeTestPartResultReporter capture(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
    test::expect_parity(d, leaves_one, {test::uniform_tensor(Shape{9}, 1)},
                        {test::Tolerance::elementwise()});
  }
  ASSERT_GE(failures.size(), 1);
  for (int i = 0; i < failures.size(); ++i) {
    EXPECT_NE(std::string(failures.GetTestPartResult(i).message()).find("1 of 9 elements differ"),
              std::string::npos)
        << failures.GetTestPartResult(i).message();
  }
}

// One MLP training step, as the trainer takes it.
void train_step(const Tensor& x, const Tensor& labels, Sgd& sgd, const Tensor& w1, const Tensor& b1,
                const Tensor& w2, const Tensor& b2) {
  const Tensor loss =
      ops::softmax_cross_entropy(ops::linear(ops::relu(ops::linear(x, w1, b1)), w2, b2), labels);
  sgd.zero_grad();
  loss.backward();
  sgd.step(0.01);
}

TEST(DeviceAllocator, AWarmTrainingStepTakesNothingFromTheDriver) {
  RT_SKIP_WITHOUT_GPU();
  const Device d = Device::cuda();
  Tensor w1 = test::uniform_tensor(Shape{64, 100}, 1), b1 = test::uniform_tensor(Shape{64}, 2);
  Tensor w2 = test::uniform_tensor(Shape{10, 64}, 3), b2 = test::uniform_tensor(Shape{10}, 4);
  for (Tensor* p : {&w1, &b1, &w2, &b2}) p->set_requires_grad(true);
  ParameterSlab slab({{"w1", w1, true}, {"b1", b1, false}, {"w2", w2, true}, {"b2", b2, false}}, d);
  Sgd sgd(slab, {});
  const Tensor x = test::uniform_tensor(Shape{32, 100}, 5).to(d);
  const Tensor labels = test::random_labels(32, 10, 6).to(d);
  train_step(x, labels, sgd, w1, b1, w2, b2);
  train_step(x, labels, sgd, w1, b1, w2, b2);
  const DeviceMemoryStats warm = device_memory_stats(d);
  for (int i = 0; i < 5; ++i) train_step(x, labels, sgd, w1, b1, w2, b2);
  synchronize(d);
  const DeviceMemoryStats after = device_memory_stats(d);
  EXPECT_EQ(after.backend_allocations, warm.backend_allocations);
  EXPECT_GT(after.cache_hits, warm.cache_hits);
  EXPECT_EQ(after.in_use_bytes, warm.in_use_bytes);
}

TEST(DeviceAllocator, ReleasedBlocksAreReusedAndCanBeHandedBack) {
  RT_SKIP_WITHOUT_GPU();
  const Device d = Device::cuda();
  void* first = device_allocate(d, 1 << 20);
  device_release(d, first);
  device_release(d, first);  // a second release of the same block is ignored
  void* again = device_allocate(d, (1 << 20) - 100);  // rounds to a block the cache holds
  EXPECT_EQ(again, first);
  device_release(d, again);
  EXPECT_GE(device_memory_stats(d).cached_bytes, size_t{1} << 20);
  release_cached_device_memory(d);
  EXPECT_EQ(device_memory_stats(d).cached_bytes, 0u);
}

TEST(DeviceAllocator, OutOfMemoryNamesTheDeviceAndTheFix) {
  RT_SKIP_WITHOUT_GPU();
  EXPECT_TRUE(test::throws_with<Error>(
      [] { (void)Tensor::empty(Shape{int64_t{1} << 48}, DType::kFloat32, Device::cuda()); },
      {"out of GPU memory", "cuda:0", query_gpus().devices.front().name, "MiB", "lower --batch"}));
  // The device is still usable afterwards.
  EXPECT_EQ(Tensor::full(Shape{3}, 2.0, DType::kFloat32, Device::cuda()).to_vector<float>(),
            std::vector<float>(3, 2.0f));
}

TEST(CudaDevice, ThisBuildRunsOnTheGpu) {
  RT_SKIP_WITHOUT_GPU();
  for (const GpuInfo& g : query_gpus().devices) {
    EXPECT_EQ(g.unsupported, "") << g.name;
    EXPECT_GT(g.memory_bytes, 0u);
  }
}

TEST(CudaDevice, AnOrdinalBeyondTheDevicesIsRefused) {
  RT_SKIP_WITHOUT_GPU();
  const int count = static_cast<int>(query_gpus().devices.size());
  EXPECT_TRUE(test::throws_with<UserError>([&] { (void)cuda_stream(Device::cuda(count)); },
                                           {"cuda:" + std::to_string(count), "only"}));
}

// Runs cuda_fault_probe (beside this binary) and returns what it printed and its status.
std::pair<std::string, int> run_fault_probe(bool sync_debug) {
  const std::filesystem::path probe =
      std::filesystem::read_symlink("/proc/self/exe").parent_path() / "cuda_fault_probe";
  if (!std::filesystem::exists(probe)) return {"missing " + probe.string(), -1};
  const std::string command =
      std::string("RETHINK_SYNC_DEBUG=") + (sync_debug ? "1 " : "0 ") + probe.string() + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return {"popen failed", -1};
  std::string output;
  char buffer[512];
  while (fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  const int status = pclose(pipe);
  return {output, status};
}

// A kernel fault is a clear error naming the device and how to find the launch, never a hang
// (the probe runs in a child: a fault ends its process's GPU context).
TEST(KernelFault, NamesTheDeviceAndHowToFindTheLaunch) {
  RT_SKIP_WITHOUT_GPU();
  const auto [plain, plain_status] = run_fault_probe(false);
  EXPECT_NE(plain_status, 0) << plain;
  for (const char* part :
       {"cudaErrorIllegalAddress", "cuda:0", "a kernel faulted", "RETHINK_SYNC_DEBUG=1"}) {
    EXPECT_NE(plain.find(part), std::string::npos) << part << " not in: " << plain;
  }
  // With sync-debug the launch's own check reports it, and the hint moves on to the sanitizer.
  const auto [debug, debug_status] = run_fault_probe(true);
  EXPECT_NE(debug_status, 0) << debug;
  for (const char* part : {"cudaErrorIllegalAddress", "cudaGetLastError()", "cuda_fault_probe.cu",
                           "compute-sanitizer"}) {
    EXPECT_NE(debug.find(part), std::string::npos) << part << " not in: " << debug;
  }
}

}  // namespace
}  // namespace rethink
