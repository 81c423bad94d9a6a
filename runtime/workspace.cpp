#include "runtime/workspace.h"

#include <memory>

#include "runtime/memory.h"

namespace rethink {
namespace {

thread_local std::unique_ptr<Storage> workspace;

}  // namespace

void* cpu_workspace(size_t bytes) {
  if (!workspace || workspace->bytes() < bytes) {
    // Grows by at least half again, so that a slowly rising demand reallocates rarely.
    const size_t grown = workspace ? workspace->bytes() + workspace->bytes() / 2 : 0;
    workspace.reset();  // free first: the old contents are not kept, and peak memory stays lower
    workspace = std::make_unique<Storage>(Device::cpu(), bytes > grown ? bytes : grown);
  }
  return workspace->data();
}

size_t cpu_workspace_capacity() { return workspace ? workspace->bytes() : 0; }

}  // namespace rethink
