// The convolutions the conv tests run: every distinct one of the paper's small Inception
// (PAPER.md 4.1; the list bench/kernels/conv2d_bench.cpp times) and AlexNet (4.2), and odd
// geometries; with the inputs and the op-with-gradients function the parity harness takes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/window2d.h"
#include "runtime/ops/conv2d.h"
#include "tests/support/parity.h"

namespace rethink::test {

struct ConvSpec {
  int64_t size, in_c, out_c, kernel, stride;
  kernels::PaddingMode padding = kernels::PaddingMode::kSame;
  int64_t kernel_w = 0;  // 0: square
  int64_t width = 0;     // 0: square images

  int64_t kw() const { return kernel_w > 0 ? kernel_w : kernel; }
  int64_t w() const { return width > 0 ? width : size; }
  std::string name() const {
    return std::to_string(size) + "x" + std::to_string(w()) + "/" + std::to_string(in_c) + "-" +
           std::to_string(out_c) + "/" + std::to_string(kernel) + "x" + std::to_string(kw()) +
           "/s" + std::to_string(stride) +
           (padding == kernels::PaddingMode::kValid ? "/valid" : "/same");
  }
  kernels::WindowedShape shape(int64_t batch) const {
    return kernels::WindowedShape::make(
        batch, size, w(), in_c, kernels::Window2d::make(kernel, kw(), stride, padding, size, w()));
  }
};

// Inception's 19 distinct convolutions, then AlexNet's two.
inline std::vector<ConvSpec> paper_convolutions() {
  return {{28, 3, 96, 3, 1},   {28, 96, 32, 1, 1},  {28, 96, 32, 3, 1},   {28, 64, 32, 1, 1},
          {28, 64, 48, 3, 1},  {28, 80, 80, 3, 2},  {14, 160, 112, 1, 1}, {14, 160, 96, 1, 1},
          {14, 160, 80, 1, 1}, {14, 160, 48, 1, 1}, {14, 160, 48, 3, 1},  {14, 160, 64, 3, 1},
          {14, 160, 80, 3, 1}, {14, 160, 96, 3, 1}, {14, 144, 96, 3, 2},  {7, 240, 176, 1, 1},
          {7, 240, 160, 3, 1}, {7, 336, 176, 1, 1}, {7, 336, 160, 3, 1},  {28, 3, 64, 5, 1},
          {14, 64, 64, 5, 1}};
}

// Geometries no paper layer has: VALID, strides 2 and 3 on odd sizes, a 1x1 stride-2 window
// (not pointwise), a window larger than the image, non-square windows and images, one channel.
inline std::vector<ConvSpec> odd_convolutions() {
  using kernels::PaddingMode;
  return {{9, 5, 7, 3, 1, PaddingMode::kValid},
          {9, 5, 7, 3, 2, PaddingMode::kValid},
          {11, 4, 6, 3, 3},
          {10, 3, 5, 1, 2},
          {3, 2, 4, 5, 1},
          {8, 3, 4, 3, 1, PaddingMode::kSame, 1, 5},
          {1, 1, 1, 1, 1},
          {6, 1, 3, 2, 2, PaddingMode::kSame}};
}

// x [batch, size, width, in_c], weight, bias, dy: uniform values from `seed`.
inline std::vector<Tensor> conv2d_inputs(const ConvSpec& spec, int64_t batch, uint64_t seed) {
  const kernels::WindowedShape s = spec.shape(batch);
  return {uniform_tensor(Shape{batch, spec.size, spec.w(), spec.in_c}, seed),
          uniform_tensor(Shape{spec.out_c, spec.kernel, spec.kw(), spec.in_c}, seed + 1),
          uniform_tensor(Shape{spec.out_c}, seed + 2),
          uniform_tensor(Shape{batch, s.out_h, s.out_w, spec.out_c}, seed + 3)};
}

// The op and its three gradients for dy = in[3].
inline Op conv2d_and_grads(const ConvSpec& spec, bool with_bias) {
  return [spec, with_bias](const std::vector<Tensor>& in) {
    Tensor x = in[0], w = in[1], b = with_bias ? in[2] : Tensor();
    x.set_requires_grad(true);
    w.set_requires_grad(true);
    if (with_bias) b.set_requires_grad(true);
    const Tensor y = ops::conv2d(x, w, b, {.stride = spec.stride, .padding = spec.padding});
    y.backward(in[3]);
    return std::vector<Tensor>{y, x.grad(), w.grad(), with_bias ? b.grad() : Tensor()};
  };
}

}  // namespace rethink::test
