// The deterministic column reduction on its own (kernels/cuda/reduce.cuh through the bias
// gradient): one and many row chunks, partial 32-column blocks, accumulation into the old
// gradient, and on a GPU more chunks than a grid's y dimension holds (the chunks then grow).
// And its promise: the same input gives the same bits every time.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "kernels/bias.h"
#include "runtime/cuda_context.h"
#include "tests/support/device_test.h"
#include "tests/support/parity.h"

namespace rethink {
namespace {

using test::Tolerance;

template <class D>
class ReductionParity : public test::DeviceTest<D> {};
TYPED_TEST_SUITE(ReductionParity, test::Devices, test::DeviceNames);

// db = column sums of dy [rows, cols], added to in[1] when accumulating.
std::vector<Tensor> bias_grad(const std::vector<Tensor>& in, bool accumulate) {
  const Tensor& dy = in[0];
  const int64_t cols = in[1].numel(), rows = dy.numel() / cols;
  Tensor db = accumulate ? in[1].clone() : Tensor::empty(in[1].shape(), dy.dtype(), dy.device());
  dispatch_floating(dy.dtype(), "bias_grad", [&]<class T>() {
    if (dy.device().is_cpu()) {
      kernels::cpu::bias_grad_rows(dy.data<T>(), rows, cols, db.data<T>(), accumulate);
    } else if constexpr (kBuiltWithCuda) {
      const Tensor ws = Tensor::empty(Shape{kernels::cuda::bias_grad_workspace_bytes(rows, cols)},
                                      DType::kUInt8, dy.device());
      kernels::cuda::bias_grad_rows(dy.data<T>(), rows, cols, db.data<T>(), accumulate,
                                    ws.raw_data(), cuda_stream(dy.device()));
    }
  });
  return {db};
}

TYPED_TEST(ReductionParity, ColumnSumsOverEveryChunking) {
  struct Case {
    int64_t rows, cols;
  };
  std::vector<Case> cases = {{1, 1},     {7, 3},      {256, 32}, {257, 33},
                             {2048, 96}, {100352, 5}, {3, 1000}, {0, 4}};
  // 2^24 + 1000 rows: 65540 chunks of 256, past the grid's 65535, so the chunks double.
  if (this->on_cuda()) cases.push_back({(int64_t{1} << 24) + 1000, 2});
  for (const Case& c : cases) {
    for (const bool accumulate : {false, true}) {
      SCOPED_TRACE(::testing::Message()
                   << c.rows << " x " << c.cols << (accumulate ? " accumulating" : ""));
      test::expect_parity(
          this->device(),
          [accumulate](const std::vector<Tensor>& in) { return bias_grad(in, accumulate); },
          {test::uniform_tensor(Shape{c.rows * c.cols}, 1), test::uniform_tensor(Shape{c.cols}, 2)},
          {Tolerance::normwise()});
    }
  }
}

TYPED_TEST(ReductionParity, TheSameInputGivesTheSameBits) {
  const std::vector<Tensor> in = {test::uniform_tensor(Shape{100352 * 96}, 3).to(this->device()),
                                  test::uniform_tensor(Shape{96}, 4).to(this->device())};
  const Tensor first = bias_grad(in, false)[0];
  for (int k = 0; k < 3; ++k) EXPECT_TRUE(test::bitwise_equal(bias_grad(in, false)[0], first));
}

}  // namespace
}  // namespace rethink
