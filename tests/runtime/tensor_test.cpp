#include "runtime/tensor.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "runtime/gpu.h"
#include "runtime/ops/relu.h"
#include "tests/support/throws.h"

namespace rethink {
namespace {

using test::throws_with;

template <class T>
class TensorDTypeTest : public ::testing::Test {};
using AllTypes = ::testing::Types<float, double, int32_t, uint8_t>;
TYPED_TEST_SUITE(TensorDTypeTest, AllTypes);

TYPED_TEST(TensorDTypeTest, FromVectorRoundTrips) {
  using T = TypeParam;
  const std::vector<T> values = {T(1), T(2), T(3), T(250), T(0), T(7)};
  const Tensor t = Tensor::from_vector(Shape{2, 3}, values);
  EXPECT_EQ(t.dtype(), dtype_of<T>());
  EXPECT_EQ(t.shape(), (Shape{2, 3}));
  EXPECT_EQ(t.numel(), 6);
  EXPECT_EQ(t.nbytes(), 6 * sizeof(T));
  EXPECT_TRUE(t.device().is_cpu());
  EXPECT_EQ(t.to_vector<T>(), values);
}

TYPED_TEST(TensorDTypeTest, ZerosAndFull) {
  using T = TypeParam;
  EXPECT_EQ(Tensor::zeros(Shape{3, 2}, dtype_of<T>()).template to_vector<T>(),
            std::vector<T>(6, T(0)));
  EXPECT_EQ(Tensor::full(Shape{5}, 7, dtype_of<T>()).template to_vector<T>(),
            std::vector<T>(5, T(7)));
}

TYPED_TEST(TensorDTypeTest, CloneIsIndependent) {
  using T = TypeParam;
  const Tensor a = Tensor::from_vector(Shape{3}, std::vector<T>{T(1), T(2), T(3)});
  const Tensor b = a.clone();
  EXPECT_FALSE(b.shares_memory_with(a));
  b.template data<T>()[0] = T(9);
  EXPECT_EQ(a.template to_vector<T>(), (std::vector<T>{T(1), T(2), T(3)}));
  EXPECT_EQ(b.template to_vector<T>(), (std::vector<T>{T(9), T(2), T(3)}));
}

TEST(Tensor, FromVectorWithWrongCountThrows) {
  EXPECT_TRUE(throws_with<Error>(
      [] {
        Tensor::from_vector(Shape{2, 3}, std::vector<float>{1, 2, 3});
      },
      {"3", "[2, 3]"}));
}

TEST(Tensor, DescribeNamesDtypeShapeAndDevice) {
  EXPECT_EQ(Tensor::zeros(Shape{128, 10}).describe(), "float32[128, 10] on cpu");
  EXPECT_EQ(Tensor().describe(), "undefined tensor");
}

TEST(Tensor, UndefinedTensorThrowsOnUse) {
  const Tensor t;
  EXPECT_FALSE(t.defined());
  EXPECT_TRUE(throws_with<Error>([&] { (void)t.shape(); }, {"undefined"}));
}

TEST(Tensor, ScalarHasRankZeroAndOneElement) {
  const Tensor t = Tensor::full(Shape{}, 2.5, DType::kFloat64);
  EXPECT_EQ(t.rank(), 0);
  EXPECT_EQ(t.numel(), 1);
  EXPECT_EQ(t.item<double>(), 2.5);
}

TEST(Tensor, ItemOnMultiElementTensorThrows) {
  const Tensor t = Tensor::zeros(Shape{2});
  EXPECT_TRUE(throws_with<Error>([&] { (void)t.item<float>(); }, {"item()", "[2]"}));
}

TEST(Tensor, DataWithWrongTypeThrows) {
  const Tensor t = Tensor::zeros(Shape{2}, DType::kFloat32);
  EXPECT_NO_THROW((void)t.data<float>());
  EXPECT_TRUE(throws_with<Error>([&] { (void)t.data<double>(); }, {"float32", "float64"}));
  EXPECT_THROW((void)t.data<int32_t>(), Error);
  EXPECT_THROW((void)t.to_vector<uint8_t>(), Error);
}

TEST(Tensor, ViewSharesMemory) {
  const Tensor a = Tensor::from_vector(Shape{2, 3}, std::vector<float>{0, 1, 2, 3, 4, 5});
  const Tensor v = a.view(Shape{3, 2});
  EXPECT_EQ(v.shape(), (Shape{3, 2}));
  EXPECT_TRUE(v.shares_memory_with(a));
  v.data<float>()[5] = 50;
  EXPECT_EQ(a.to_vector<float>()[5], 50);
}

TEST(Tensor, ViewWithWrongNumelNamesBothShapes) {
  const Tensor a = Tensor::zeros(Shape{2, 3});
  EXPECT_TRUE(throws_with<Error>([&] { (void)a.view(Shape{4}); }, {"[2, 3]", "[4]"}));
}

TEST(Tensor, FlatViewStartsAtTheOffset) {
  const Tensor a = Tensor::from_vector(Shape{6}, std::vector<double>{0, 1, 2, 3, 4, 5});
  const Tensor v = a.flat_view(2, Shape{2, 2});
  EXPECT_EQ(v.to_vector<double>(), (std::vector<double>{2, 3, 4, 5}));
  v.data<double>()[0] = -1;
  EXPECT_EQ(a.to_vector<double>()[2], -1);
  // A view of a view counts from the inner view's start.
  EXPECT_EQ(v.flat_view(1, Shape{1}).item<double>(), 3);
}

TEST(Tensor, FlatViewChecksBounds) {
  const Tensor a = Tensor::zeros(Shape{6});
  EXPECT_NO_THROW((void)a.flat_view(6, Shape{0}));
  EXPECT_NO_THROW((void)a.flat_view(0, Shape{6}));
  EXPECT_THROW((void)a.flat_view(5, Shape{2}), Error);
  EXPECT_THROW((void)a.flat_view(-1, Shape{1}), Error);
  EXPECT_THROW((void)a.flat_view(0, Shape{7}), Error);
  // Bounds are the view's own, not the storage's: a view of 2 cannot reach its neighbours.
  const Tensor v = a.flat_view(2, Shape{2});
  EXPECT_THROW((void)v.flat_view(1, Shape{2}), Error);
}

TEST(Tensor, DetachSharesMemoryWithoutHistory) {
  Tensor x = Tensor::from_vector(Shape{2}, std::vector<double>{-1, 2});
  x.set_requires_grad(true);
  const Tensor y = ops::relu(x);
  ASSERT_NE(y.grad_fn(), nullptr);
  const Tensor d = y.detach();
  EXPECT_TRUE(d.shares_memory_with(y));
  EXPECT_EQ(d.grad_fn(), nullptr);
  EXPECT_FALSE(d.requires_grad());
  EXPECT_TRUE(d.is_leaf());
  EXPECT_FALSE(x.detach().requires_grad());
}

TEST(Tensor, SetDataRebindsEveryCopyOfTheHandle) {
  const Tensor a = Tensor::from_vector(Shape{2}, std::vector<float>{1, 2});
  const Tensor copy = a;  // a handle copy, made before set_data
  const Tensor src = Tensor::from_vector(Shape{2}, std::vector<float>{7, 8});
  a.set_data(src);
  EXPECT_TRUE(copy.shares_memory_with(src));
  EXPECT_EQ(copy.to_vector<float>(), (std::vector<float>{7, 8}));
  src.data<float>()[1] = 80;
  EXPECT_EQ(copy.to_vector<float>(), (std::vector<float>{7, 80}));
}

TEST(Tensor, SetDataKeepsTheViewOffset) {
  const Tensor a = Tensor::zeros(Shape{2}, DType::kFloat64);
  const Tensor slab = Tensor::from_vector(Shape{5}, std::vector<double>{0, 1, 2, 3, 4});
  a.set_data(slab.flat_view(3, Shape{2}));
  EXPECT_EQ(a.to_vector<double>(), (std::vector<double>{3, 4}));
}

TEST(Tensor, SetDataRejectsAnotherShapeOrDtype) {
  const Tensor a = Tensor::zeros(Shape{2, 3});
  EXPECT_TRUE(throws_with<Error>(
      [&] {
        a.set_data(Tensor::zeros(Shape{3, 2}));
      },
      {"[2, 3]", "[3, 2]"}));
  EXPECT_THROW(a.set_data(Tensor::zeros(Shape{2, 3}, DType::kFloat64)), Error);
}

TEST(Tensor, CopyCopiesElements) {
  const Tensor a = Tensor::zeros(Shape{3}, DType::kInt32);
  a.copy_(Tensor::from_vector(Shape{3}, std::vector<int32_t>{4, 5, 6}));
  EXPECT_EQ(a.to_vector<int32_t>(), (std::vector<int32_t>{4, 5, 6}));
}

TEST(Tensor, CopyRejectsMismatchedShapeOrDtype) {
  Tensor a = Tensor::zeros(Shape{3});
  EXPECT_TRUE(throws_with<Error>([&] { a.copy_(Tensor::zeros(Shape{4})); }, {"[3]", "[4]"}));
  EXPECT_THROW(a.copy_(Tensor::zeros(Shape{3}, DType::kFloat64)), Error);
}

TEST(Tensor, FillAndZeroInPlace) {
  Tensor a = Tensor::zeros(Shape{4}, DType::kUInt8);
  a.fill_(3);
  EXPECT_EQ(a.to_vector<uint8_t>(), std::vector<uint8_t>(4, 3));
  a.zero_();
  EXPECT_EQ(a.to_vector<uint8_t>(), std::vector<uint8_t>(4, 0));
}

TEST(Tensor, ToItsOwnDeviceIsTheSameTensor) {
  const Tensor a = Tensor::zeros(Shape{2});
  EXPECT_TRUE(a.to(Device::cpu()).shares_memory_with(a));
}

TEST(Tensor, CudaAllocationWithoutGpuThrows) {
  if (!query_gpus().devices.empty()) GTEST_SKIP() << "a GPU is present: nothing to refuse";
  EXPECT_THROW((void)Tensor::zeros(Shape{2}, DType::kFloat32, Device::cuda()), Error);
}

TEST(CheckSameShape, MessageNamesBothShapes) {
  const Tensor a = Tensor::zeros(Shape{2, 3}), b = Tensor::zeros(Shape{3, 2});
  EXPECT_NO_THROW(check_same_shape(a, a, "test op"));
  EXPECT_TRUE(throws_with<Error>([&] { check_same_shape(a, b, "test op"); },
                                 {"test op", "[2, 3]", "[3, 2]"}));
}

TEST(CheckShape, MessageNamesExpectedAndActual) {
  const Tensor a = Tensor::zeros(Shape{2, 3});
  EXPECT_NO_THROW(check_shape(a, Shape{2, 3}, "bias"));
  EXPECT_TRUE(
      throws_with<Error>([&] { check_shape(a, Shape{6}, "bias"); }, {"bias", "[6]", "[2, 3]"}));
}

TEST(TensorAutograd, SetRequiresGradOnIntegerTensorThrows) {
  Tensor t = Tensor::zeros(Shape{2}, DType::kInt32);
  EXPECT_TRUE(throws_with<Error>([&] { t.set_requires_grad(true); }, {"int32"}));
  EXPECT_NO_THROW(t.set_requires_grad(false));
}

TEST(TensorAutograd, SetGradChecksShapeAndIsSharedByCopies) {
  const Tensor t = Tensor::zeros(Shape{2, 3});
  const Tensor copy = t;
  EXPECT_TRUE(throws_with<Error>(
      [&] {
        t.set_grad(Tensor::zeros(Shape{3, 2}));
      },
      {"[2, 3]", "[3, 2]"}));
  const Tensor g = Tensor::full(Shape{2, 3}, 1.0);
  t.set_grad(g);
  EXPECT_TRUE(copy.grad().shares_memory_with(g));
}

}  // namespace
}  // namespace rethink
