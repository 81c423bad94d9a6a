// Moving a data set to the run's device and the refusal of one that does not fit (the refusal
// is checked here with given memory sizes; tests/datasets/batch_loader_gpu_test.cpp moves data
// to a real GPU).
#include "datasets/device_dataset.h"

#include <gtest/gtest.h>

#include "datasets/batch_loader.h"
#include "tests/support/throws.h"

namespace rethink {
namespace {

Dataset small(int64_t train, int64_t test) {
  Dataset d;
  d.spec = "cifar10:/data/cifar";
  d.train = {Tensor::zeros(Shape{train, 32, 32, 3}, DType::kUInt8),
             Tensor::zeros(Shape{train}, DType::kInt32)};
  d.test = {Tensor::zeros(Shape{test, 32, 32, 3}, DType::kUInt8),
            Tensor::zeros(Shape{test}, DType::kInt32)};
  d.classes = 10;
  return d;
}

TEST(DeviceDatasetTest, SplitBytesCountImagesAsStoredAndLabels) {
  const Dataset d = small(10, 2);
  EXPECT_EQ(split_bytes(d.train), 10u * (3072 + 4));
  EXPECT_EQ(split_bytes(d.test), 2u * (3072 + 4));
  EXPECT_EQ(split_bytes(Split{}), 0u);
}

TEST(DeviceDatasetTest, ADataSetLargerThanTheFreeMemoryIsAUserErrorNamingTheSizes) {
  // 50,000 CIFAR images: 146.7 MiB of pixels and labels; 10,000 test images: 29.3 MiB.
  const Dataset d = small(50000, 10000);
  const size_t need = split_bytes(d.train) + split_bytes(d.test);
  const size_t mib = 1 << 20;
  EXPECT_NO_THROW(check_dataset_fits(d, Device::cuda(0), need, 1000 * mib));
  EXPECT_TRUE(test::throws_with<UserError>(
      [&] { check_dataset_fits(d, Device::cuda(1), need - 1, 1000 * mib); },
      {"--data 'cifar10:/data/cifar' does not fit on cuda:1", "176.0 MiB",
       "train 50000 images, 146.7 MiB", "test 10000 images, 29.3 MiB", "of the device's 1000.0 MiB",
       "--subset", "--device cpu"}));
}

TEST(DeviceDatasetTest, OnTheCpuNothingMovesAndLoadersUseTheSplitWhereItIs) {
  Dataset d = small(8, 2);
  const Tensor images = d.train.images;
  move_dataset_to(d, Device::cpu());
  EXPECT_TRUE(d.train.images.shares_memory_with(images));
  BatchLoader loader(d.train, 4);
  loader.start();
  Batch batch;
  ASSERT_TRUE(loader.next(batch));
  EXPECT_TRUE(batch.images.device().is_cpu());
}

}  // namespace
}  // namespace rethink
