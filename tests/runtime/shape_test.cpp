#include "runtime/shape.h"

#include <gtest/gtest.h>

#include "kernels/error.h"

namespace rethink {
namespace {

TEST(Shape, ToStringListsDimensions) {
  EXPECT_EQ((Shape{128, 3, 28, 28}).to_string(), "[128, 3, 28, 28]");
  EXPECT_EQ(Shape().to_string(), "[]");
}

TEST(Shape, NumelIsTheProduct) {
  EXPECT_EQ((Shape{2, 3, 4}).numel(), 24);
  EXPECT_EQ(Shape().numel(), 1);  // a scalar
  EXPECT_EQ((Shape{2, 0, 3}).numel(), 0);
}

TEST(Shape, NegativeIndicesCountFromTheBack) {
  const Shape s{2, 3, 4};
  EXPECT_EQ(s[0], 2);
  EXPECT_EQ(s[-1], 4);
  EXPECT_EQ(s[-3], 2);
  EXPECT_THROW((void)s[3], Error);
  EXPECT_THROW((void)s[-4], Error);
}

TEST(Shape, NegativeDimensionThrows) { EXPECT_THROW((Shape{2, -1}), Error); }

}  // namespace
}  // namespace rethink
