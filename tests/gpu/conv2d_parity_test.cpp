// conv2d on the device (im2col / col2im around cuBLAS GEMMs) against the CPU: every
// convolution of the paper's small Inception and AlexNet, odd geometries, with and without
// bias, forward and all three gradients; and the kernel entry points at every tiling the plan
// can choose (whole batch, one image per tile, a partial last tile, pointwise without im2col).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/conv2d.h"
#include "runtime/autograd.h"
#include "runtime/cuda_context.h"
#include "runtime/ops/conv2d.h"
#include "tests/gpu/conv_shapes.h"
#include "tests/support/device_test.h"
#include "tests/support/parity.h"

namespace rethink {
namespace {

using test::ConvSpec;
using test::Tolerance;

template <class D>
class Conv2dParity : public test::DeviceTest<D> {};
TYPED_TEST_SUITE(Conv2dParity, test::Devices, test::DeviceNames);

const std::vector<Tolerance> kFourNormwise(4, Tolerance::normwise());

TYPED_TEST(Conv2dParity, EveryPaperLayerForwardAndBackward) {
  // Batch 2 keeps the CPU's float64 reference quick; the GPU also runs batch 17 (odd, and
  // several tiles' worth of images for the big layers is covered by the kernel test below).
  std::vector<int64_t> batches = {2};
  if (this->on_cuda()) batches.push_back(17);
  for (const ConvSpec& spec : test::paper_convolutions()) {
    for (const int64_t batch : batches) {
      SCOPED_TRACE(spec.name() + " batch " + std::to_string(batch));
      test::expect_parity(this->device(), test::conv2d_and_grads(spec, /*bias=*/true),
                          test::conv2d_inputs(spec, batch, 1), kFourNormwise);
    }
  }
}

TYPED_TEST(Conv2dParity, OddGeometries) {
  for (const ConvSpec& spec : test::odd_convolutions()) {
    for (const bool bias : {true, false}) {
      SCOPED_TRACE(spec.name() + (bias ? " with bias" : ""));
      test::expect_parity(this->device(), test::conv2d_and_grads(spec, bias),
                          test::conv2d_inputs(spec, 3, 2), kFourNormwise);
    }
  }
}

// The kernel entry points under a given tile budget, on `device`: y, then dx, dw and db, the
// latter two added to what the buffers held when `accumulate` is set.
std::vector<Tensor> conv_kernels(const ConvSpec& spec, int64_t tile_bytes, bool accumulate,
                                 const std::vector<Tensor>& in) {
  const Tensor& x = in[0];
  const Tensor& w = in[1];
  const Tensor& b = in[2];
  const Tensor& dy = in[3];
  const Device device = x.device();
  const kernels::WindowedShape shape = spec.shape(x.size(0));
  Tensor y = Tensor::empty(dy.shape(), x.dtype(), device);
  Tensor dx = Tensor::empty(x.shape(), x.dtype(), device);
  Tensor dw = accumulate ? in[4].clone() : Tensor::empty(w.shape(), x.dtype(), device);
  Tensor db = accumulate ? in[5].clone() : Tensor::empty(b.shape(), x.dtype(), device);
  dispatch_floating(x.dtype(), "conv", [&]<class T>() {
    if (device.is_cpu()) {
      const auto plan = kernels::Conv2dPlan::make(shape, spec.out_c, sizeof(T), tile_bytes);
      Tensor ws =
          Tensor::empty(Shape{std::max<int64_t>(plan.backward_workspace_elements(), 1)}, x.dtype());
      kernels::cpu::conv2d_forward(plan, x.data<T>(), w.data<T>(), b.data<T>(), y.data<T>(),
                                   ws.data<T>());
      kernels::cpu::conv2d_backward(plan, x.data<T>(), w.data<T>(), dy.data<T>(), dx.data<T>(),
                                    dw.data<T>(), accumulate, db.data<T>(), accumulate,
                                    ws.data<T>());
    } else if constexpr (kBuiltWithCuda) {
      namespace k = kernels::cuda;
      const auto plan = k::conv2d_plan(shape, spec.out_c, sizeof(T), tile_bytes);
      Tensor ws = Tensor::empty(Shape{std::max<int64_t>(k::conv2d_workspace_elements(plan), 1)},
                                x.dtype(), device);
      Tensor reduce =
          Tensor::empty(Shape{k::conv2d_backward_reduce_bytes(plan)}, DType::kUInt8, device);
      const k::Context ctx = cuda_context(device);
      k::conv2d_forward(ctx, plan, x.data<T>(), w.data<T>(), b.data<T>(), y.data<T>(),
                        ws.data<T>());
      k::conv2d_backward(ctx, plan, x.data<T>(), w.data<T>(), dy.data<T>(), dx.data<T>(),
                         dw.data<T>(), accumulate, db.data<T>(), accumulate, ws.data<T>(),
                         reduce.raw_data());
    }
  });
  return {y, dx, dw, db};
}

TYPED_TEST(Conv2dParity, EveryTilingThePlanCanChoose) {
  const std::vector<ConvSpec> specs = {{14, 16, 24, 3, 1},  // im2col + col2im
                                       {14, 16, 24, 1, 1},  // pointwise: x is the col matrix
                                       {15, 8, 12, 3, 2}};  // asymmetric SAME, stride 2
  for (const ConvSpec& spec : specs) {
    const int64_t batch = 5;
    const kernels::WindowedShape shape = spec.shape(batch);
    const int64_t image_bytes =
        shape.out_h * shape.out_w * shape.window.kernel_h * shape.window.kernel_w * spec.in_c * 4;
    // Whole batch, one image per tile (5 tiles), two per tile (the last one partial).
    for (const int64_t tile_bytes : {int64_t{1} << 30, image_bytes, 2 * image_bytes}) {
      for (const bool accumulate : {false, true}) {
        SCOPED_TRACE(::testing::Message() << spec.name() << " tile " << tile_bytes << " bytes"
                                          << (accumulate ? ", accumulating" : ""));
        std::vector<Tensor> in = test::conv2d_inputs(spec, batch, 3);
        in.push_back(test::uniform_tensor(in[1].shape(), 40));  // dw's previous contents
        in.push_back(test::uniform_tensor(in[2].shape(), 41));  // db's
        test::expect_parity(
            this->device(),
            [&](const std::vector<Tensor>& t) {
              return conv_kernels(spec, tile_bytes, accumulate, t);
            },
            in, kFourNormwise);
      }
    }
  }
}

}  // namespace
}  // namespace rethink
