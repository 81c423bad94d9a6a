#include "experiments/format.h"

#include <gtest/gtest.h>

#include "experiments/parse.h"
#include "kernels/error.h"

namespace rethink {
namespace {

TEST(FormatTest, GroupsThousandsWithCommas) {
  EXPECT_EQ(with_thousands(0), "0");
  EXPECT_EQ(with_thousands(999), "999");
  EXPECT_EQ(with_thousands(1000), "1,000");
  EXPECT_EQ(with_thousands(1649402), "1,649,402");
  EXPECT_EQ(with_thousands(-1234567), "-1,234,567");
}

TEST(ParseTest, ImageShapesNeedThreePositiveNumbers) {
  const ImageShape s = parse_image_shape("3,28,29", "--input");
  EXPECT_EQ(s.channels, 3);
  EXPECT_EQ(s.height, 28);
  EXPECT_EQ(s.width, 29);
  for (const char* bad : {"", "3,28", "3,28,28,1", "3,0,28", "3,-1,28", "a,b,c", "3,,28"}) {
    EXPECT_THROW(parse_image_shape(bad, "--input"), UserError) << bad;
  }
}

}  // namespace
}  // namespace rethink
