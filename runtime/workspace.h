// Host workspace for the CPU kernels (im2col columns, per-chunk partial sums): one grow-only
// buffer per thread, so that after the first training step no op allocates scratch memory.
//
// The pointer stays valid until the next cpu_workspace call on the same thread: take it right
// before the kernel call that uses it, size it for everything that call needs, and never hold
// it across another op.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rethink {

// At least `bytes` bytes, 64-byte aligned, contents unspecified.
void* cpu_workspace(size_t bytes);

template <class T>
T* cpu_workspace_as(int64_t count) {
  return static_cast<T*>(cpu_workspace(static_cast<size_t>(count) * sizeof(T)));
}

// Bytes the calling thread's workspace holds now (for tests and memory reports).
size_t cpu_workspace_capacity();

}  // namespace rethink
