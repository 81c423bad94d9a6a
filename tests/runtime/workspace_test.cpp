#include "runtime/workspace.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <thread>

namespace rethink {
namespace {

TEST(CpuWorkspace, GrowsOnlyWhenAskedForMoreAndStaysAligned) {
  void* first = cpu_workspace(1000);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(first) % 64, 0u);
  const size_t capacity = cpu_workspace_capacity();
  EXPECT_GE(capacity, 1000u);
  // A smaller request reuses the buffer: the steady state of a training loop allocates nothing.
  EXPECT_EQ(cpu_workspace(10), first);
  EXPECT_EQ(cpu_workspace_capacity(), capacity);
  // A larger one grows by at least half again, so a slowly rising demand reallocates rarely.
  cpu_workspace_as<float>(static_cast<int64_t>(capacity / sizeof(float)) + 1);
  EXPECT_GE(cpu_workspace_capacity(), capacity + capacity / 2);
}

TEST(CpuWorkspace, EachThreadHasItsOwn) {
  void* mine = cpu_workspace(256);
  void* theirs = nullptr;
  std::thread([&] { theirs = cpu_workspace(256); }).join();
  EXPECT_NE(mine, theirs);
}

}  // namespace
}  // namespace rethink
