#include "kernels/window2d.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <tuple>
#include <vector>

namespace rethink::kernels {
namespace {

// TensorFlow's SAME (tf.nn.conv2d docs): out = ceil(in / stride), and the odd element of the
// total padding goes after. Cases written out by hand from that rule.
TEST(SamePadding, MatchesTensorFlowsRule) {
  // (in, kernel, stride) -> (before, after)
  const std::vector<std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t>> cases = {
      {28, 3, 1, 1, 1},  // the Inception's stride-1 3x3: symmetric
      {28, 3, 2, 0, 1},  // 28 -> 14: one row in total, at the bottom
      {14, 3, 2, 0, 1},  // 14 -> 7
      {7, 3, 2, 1, 1},   // odd input: 7 -> 4 needs two
      {28, 5, 1, 2, 2},  // AlexNet's 5x5
      {4, 1, 2, 0, 0},   // 1x1 stride 2 needs none
      {2, 5, 1, 2, 2},   // kernel wider than the input
      {1, 3, 2, 1, 1},
      {6, 2, 2, 0, 0},
  };
  for (const auto& [in, k, s, before, after] : cases) {
    int64_t b = -1, a = -1;
    same_padding(in, k, s, &b, &a);
    EXPECT_EQ(b, before) << in << " " << k << " " << s;
    EXPECT_EQ(a, after) << in << " " << k << " " << s;
  }
}

TEST(Window2d, SameGivesCeilOfInputOverStride) {
  for (int64_t in = 1; in <= 30; ++in) {
    for (int64_t k = 1; k <= 5; ++k) {
      for (int64_t s = 1; s <= 3; ++s) {
        const Window2d w = Window2d::make(k, k, s, PaddingMode::kSame, in, in + 1);
        EXPECT_EQ(w.out_h(in), (in + s - 1) / s) << in << " " << k << " " << s;
        EXPECT_EQ(w.out_w(in + 1), (in + s) / s) << in << " " << k << " " << s;
      }
    }
  }
}

TEST(Window2d, ValidPadsNothingAndDropsTheRemainder) {
  const Window2d w = Window2d::make(3, 2, 2, PaddingMode::kValid, 28, 9);
  EXPECT_EQ(w.pad, Padding2d{});
  EXPECT_EQ(w.out_h(28), 13);  // (28 - 3) / 2 + 1
  EXPECT_EQ(w.out_w(9), 4);    // (9 - 2) / 2 + 1
  EXPECT_FALSE(w.is_pointwise());
  EXPECT_TRUE(Window2d::make(1, 1, 1, PaddingMode::kSame, 5, 5).is_pointwise());
  EXPECT_FALSE(Window2d::make(1, 1, 2, PaddingMode::kSame, 5, 5).is_pointwise());
}

TEST(WindowedShape, ResolvesOutputSizeAndPixelCounts) {
  const auto s =
      WindowedShape::make(128, 28, 28, 80, Window2d::make(3, 3, 2, PaddingMode::kSame, 28, 28));
  EXPECT_EQ(s.out_h, 14);
  EXPECT_EQ(s.out_w, 14);
  EXPECT_EQ(s.in_pixels(), 128 * 28 * 28);
  EXPECT_EQ(s.out_pixels(), 128 * 14 * 14);
  EXPECT_EQ(s.window.pad, (Padding2d{0, 1, 0, 1}));
  // Padded by one row and column at the bottom and right: every window lies inside 29x29.
  EXPECT_TRUE(s.window.pads());
  EXPECT_EQ(s.padded_h(), 29);
  EXPECT_EQ(s.padded_w(), 29);
  EXPECT_EQ((s.out_h - 1) * s.window.stride_h + s.window.kernel_h, 29);
  EXPECT_FALSE(Window2d::make(3, 3, 1, PaddingMode::kValid, 28, 28).pads());
  // A tile of the batch: the same geometry for fewer images.
  const WindowedShape tile = s.with_batch(5);
  EXPECT_EQ(tile.batch, 5);
  EXPECT_EQ(tile.out_pixels(), 5 * 14 * 14);
  EXPECT_EQ(tile.window, s.window);
  EXPECT_EQ(s.batch, 128);
}

}  // namespace
}  // namespace rethink::kernels
