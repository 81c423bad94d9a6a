#include "runtime/parse_ints.h"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace rethink {
namespace {

using Ints = std::vector<int64_t>;

TEST(ParseIntList, ParsesCommaSeparatedIntegers) {
  EXPECT_EQ(parse_int_list("512,3,28,28,10"), (Ints{512, 3, 28, 28, 10}));
  EXPECT_EQ(parse_int_list("7"), (Ints{7}));
  EXPECT_EQ(parse_int_list("-3,0"), (Ints{-3, 0}));
}

TEST(ParseIntList, RejectsAnythingElse) {
  for (const char* bad : {"", ",", "1,", ",1", "1,,2", "a", "1.5", " 1", "1 ,2", "1;2", "+1"}) {
    EXPECT_EQ(parse_int_list(bad), std::nullopt) << "\"" << bad << "\"";
  }
}

}  // namespace
}  // namespace rethink
