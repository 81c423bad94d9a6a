#include "runtime/optim/lr_schedule.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "kernels/error.h"
#include "tests/support/throws.h"

namespace rethink {
namespace {

using test::throws_with;

LrSchedule exponential(int64_t images_per_decay) {
  LrSchedule s;
  s.kind = LrScheduleKind::kExponential;
  s.base_lr = 0.01;
  s.decay = 0.95;
  s.images_per_decay = images_per_decay;
  return s;
}

TEST(LrSchedule, ExponentialIsAStaircaseOverEpochs) {
  const LrSchedule s = exponential(1000);
  // Constant within an epoch, including its last image.
  EXPECT_DOUBLE_EQ(s.lr_at(0), 0.01);
  EXPECT_DOUBLE_EQ(s.lr_at(500), 0.01);
  EXPECT_DOUBLE_EQ(s.lr_at(999), 0.01);
  // x0.95 at each boundary.
  EXPECT_DOUBLE_EQ(s.lr_at(1000), 0.01 * 0.95);
  EXPECT_DOUBLE_EQ(s.lr_at(1999), 0.01 * 0.95);
  EXPECT_DOUBLE_EQ(s.lr_at(2000), 0.01 * 0.95 * 0.95);
  EXPECT_NEAR(s.lr_at(100 * 1000), 0.01 * std::pow(0.95, 100), 1e-18);
}

// The paper's 0.95-per-epoch decay on a 5000-image subset of a 50000-image training set: the
// lr counts full-size epochs, so it holds for 10 subset epochs and then drops once.
TEST(LrSchedule, SubsetRunDecaysPerFullSizeEpoch) {
  const LrSchedule s = exponential(50000);
  const int64_t subset_epoch = 5000;
  for (int64_t e = 0; e < 10; ++e) {
    EXPECT_DOUBLE_EQ(s.lr_at(e * subset_epoch), 0.01) << "subset epoch " << e;
    EXPECT_DOUBLE_EQ(s.lr_at((e + 1) * subset_epoch - 1), 0.01) << "end of subset epoch " << e;
  }
  EXPECT_DOUBLE_EQ(s.lr_at(10 * subset_epoch), 0.01 * 0.95);
  EXPECT_DOUBLE_EQ(s.lr_at(20 * subset_epoch), 0.01 * 0.95 * 0.95);
}

TEST(LrSchedule, StepDecaysEveryStepEpochs) {
  LrSchedule s;
  s.kind = LrScheduleKind::kStep;
  s.base_lr = 0.1;
  s.decay = 0.1;
  s.images_per_decay = 100;
  s.step_epochs = 3;
  EXPECT_DOUBLE_EQ(s.lr_at(0), 0.1);
  EXPECT_DOUBLE_EQ(s.lr_at(100), 0.1);  // one epoch: no step yet
  EXPECT_DOUBLE_EQ(s.lr_at(299), 0.1);
  EXPECT_DOUBLE_EQ(s.lr_at(300), 0.1 * 0.1);
  EXPECT_DOUBLE_EQ(s.lr_at(599), 0.1 * 0.1);
  EXPECT_DOUBLE_EQ(s.lr_at(600), 0.1 * 0.1 * 0.1);
}

TEST(LrSchedule, ConstantNeverChanges) {
  LrSchedule s = exponential(10);
  s.kind = LrScheduleKind::kConstant;
  EXPECT_EQ(s.lr_at(0), 0.01);
  EXPECT_EQ(s.lr_at(12345), 0.01);
}

TEST(LrSchedule, ValidateAcceptsGoodSettings) {
  LrSchedule s = exponential(50000);
  EXPECT_NO_THROW(s.validate());
  s.decay = 1.0;  // no decay at all is allowed
  EXPECT_NO_THROW(s.validate());
}

TEST(LrSchedule, ValidateRejectsNonPositiveLr) {
  for (const double lr : {0.0, -0.1, std::numeric_limits<double>::quiet_NaN(),
                          std::numeric_limits<double>::infinity()}) {
    LrSchedule s = exponential(50000);
    s.base_lr = lr;
    EXPECT_TRUE(throws_with<UserError>([&] { s.validate(); }, {"--lr"})) << lr;
  }
}

TEST(LrSchedule, ValidateRejectsDecayOutsideZeroOne) {
  for (const double decay : {0.0, -0.5, 1.01, std::numeric_limits<double>::quiet_NaN()}) {
    LrSchedule s = exponential(50000);
    s.decay = decay;
    EXPECT_TRUE(throws_with<UserError>([&] { s.validate(); }, {"--lr-decay", "(0, 1]"})) << decay;
  }
}

TEST(LrSchedule, ValidateRejectsNonPositiveImagesPerDecay) {
  for (const int64_t images : {int64_t{0}, int64_t{-5}}) {
    EXPECT_TRUE(throws_with<UserError>([&] { exponential(images).validate(); },
                                       {"--lr-decay-images", std::to_string(images)}));
  }
}

TEST(LrSchedule, ValidateRejectsNonPositiveStepEpochs) {
  LrSchedule s = exponential(100);
  s.kind = LrScheduleKind::kStep;
  s.step_epochs = 0;
  EXPECT_THROW(s.validate(), UserError);
}

// A schedule that skipped validate() (a default-constructed one has images_per_decay = 0)
// must fail with an exception, not an integer division by zero (SIGFPE kills the process).
// DISABLED: it currently crashes the whole test binary; see the report.
TEST(LrSchedule, LrAtWithZeroImagesPerDecayThrows) {
  LrSchedule s;
  s.kind = LrScheduleKind::kConstant;
  EXPECT_THROW((void)s.lr_at(100), Error);
}

TEST(LrScheduleKind, ParsesEveryNameItPrints) {
  for (const LrScheduleKind k :
       {LrScheduleKind::kConstant, LrScheduleKind::kExponential, LrScheduleKind::kStep}) {
    EXPECT_EQ(parse_lr_schedule_kind(lr_schedule_kind_name(k)), k);
  }
  EXPECT_EQ(parse_lr_schedule_kind("exponential"), LrScheduleKind::kExponential);
}

TEST(LrScheduleKind, RejectsUnknownNames) {
  for (const char* name : {"cosine", "", "Step"}) {
    const std::string quoted = fmt::format("'{}'", name);
    EXPECT_TRUE(throws_with<UserError>([&] { parse_lr_schedule_kind(name); },
                                       {quoted, "constant, exponential or step"}));
  }
}

}  // namespace
}  // namespace rethink
