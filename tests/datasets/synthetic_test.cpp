#include "datasets/synthetic.h"

#include <gtest/gtest.h>

#include "datasets/dataset.h"

namespace rethink {
namespace {

TEST(SyntheticTest, SpecGivesShapesSplitsAndTheFullTrainingSize) {
  const Dataset d = load_dataset("synthetic:12,3,4,5,7", 1);
  EXPECT_EQ(d.kind, "synthetic");
  EXPECT_EQ(d.train.images.shape(), (Shape{12, 4, 5, 3}));  // NHWC: C=3, H=4, W=5
  EXPECT_EQ(d.train.labels.shape(), (Shape{12}));
  EXPECT_EQ(d.test.size(), 3);  // ceil(12 / 5)
  EXPECT_EQ(d.classes, 7);
  EXPECT_EQ(d.full_train_size, 12);
}

TEST(SyntheticTest, LabelsAreInRangeAndCoverEveryClass) {
  const Dataset d = load_dataset("synthetic:2000,1,2,2,10", 3);
  std::vector<int> counts(10, 0);
  for (int32_t y : d.train.labels.to_vector<int32_t>()) {
    ASSERT_GE(y, 0);
    ASSERT_LT(y, 10);
    ++counts[y];
  }
  for (int c : counts) EXPECT_GT(c, 120);  // 200 expected per class
}

TEST(SyntheticTest, SameSeedSameDataOtherSeedOtherData) {
  const Dataset a = load_dataset("synthetic:8,1,3,3,4", 11);
  const Dataset b = load_dataset("synthetic:8,1,3,3,4", 11);
  const Dataset c = load_dataset("synthetic:8,1,3,3,4", 12);
  EXPECT_EQ(a.train.images.to_vector<float>(), b.train.images.to_vector<float>());
  EXPECT_EQ(a.train.labels.to_vector<int32_t>(), b.train.labels.to_vector<int32_t>());
  EXPECT_NE(a.train.images.to_vector<float>(), c.train.images.to_vector<float>());
  // Train and test are different draws.
  EXPECT_NE(a.train.images.to_vector<float>()[0], a.test.images.to_vector<float>()[0]);
}

TEST(SyntheticTest, MalformedSpecsAreUserErrorsNamingTheSpec) {
  for (const char* spec :
       {"synthetic:5", "synthetic:5,3,28,28", "synthetic:a,b,c,d,e", "synthetic:5,3,28,28,1",
        "synthetic:0,3,28,28,10", "synthetic:5,3,28,28,10,", "synthetic:", "mnist", "cifar10",
        // Too large, including sizes whose product wraps around int64 to a small number.
        "synthetic:2147483647,1,1,8,2", "synthetic:1024,4294967296,4294967296,4294967296,10"}) {
    try {
      load_dataset(spec, 0);
      ADD_FAILURE() << spec << " was accepted";
    } catch (const UserError& e) {
      EXPECT_NE(std::string(e.what()).find(spec), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace rethink
