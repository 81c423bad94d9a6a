#include "runtime/threads.h"

#include <gtest/gtest.h>

#include "kernels/blas_info.h"

namespace rethink {
namespace {

class ThreadsTest : public ::testing::Test {
 protected:
  void TearDown() override { set_thread_count(saved_); }
  int saved_ = thread_count();
};

TEST_F(ThreadsTest, SetsOpenMpAndOpenBlasTogether) {
  EXPECT_EQ(set_thread_count(1), 1);
  EXPECT_EQ(thread_count(), 1);
  EXPECT_EQ(kernels::cpu::blas_info().threads, 1);
  EXPECT_EQ(set_thread_count(2), 2);
  EXPECT_EQ(thread_count(), 2);
  EXPECT_EQ(kernels::cpu::blas_info().threads, 2);
}

TEST_F(ThreadsTest, NonPositiveMeansAllCores) {
  EXPECT_GE(available_cores(), 1);
  EXPECT_EQ(set_thread_count(0), available_cores());
  EXPECT_EQ(thread_count(), available_cores());
  EXPECT_EQ(set_thread_count(-3), available_cores());
}

}  // namespace
}  // namespace rethink
