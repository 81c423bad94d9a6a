#include "runtime/memory.h"

#include <fmt/format.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "kernels/check.h"
#include "runtime/cuda_context.h"
#include "runtime/device_allocator.h"
#include "runtime/host_allocator.h"

#if RETHINK_WITH_CUDA
#include <cuda_runtime_api.h>

#include "kernels/cuda/check.h"
#endif

namespace rethink {
namespace {

double mib(size_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

std::atomic<bool> g_poison{false};

constexpr int kPoisonByte = 0xFF;

#if RETHINK_WITH_CUDA
cudaStream_t stream_of(Device device) {
  return reinterpret_cast<cudaStream_t>(cuda_stream(device));
}
#endif

}  // namespace

void set_poison_new_memory(bool on) { g_poison.store(on); }
bool poison_new_memory() { return g_poison.load(); }

Storage::Storage(Device device, size_t bytes) : device_(device), bytes_(bytes) {
  if (bytes == 0) return;
  if (device.is_cpu()) {
    data_ = host_allocate(bytes);
    if (data_ == nullptr) {
      throw Error(fmt::format("out of host memory allocating {:.1f} MiB", mib(bytes)));
    }
    if (poison_new_memory()) std::memset(data_, kPoisonByte, bytes);
    return;
  }
#if RETHINK_WITH_CUDA
  data_ = device_allocate(device, bytes);
  if (poison_new_memory()) {
    RT_CUDA_CHECK(cudaMemsetAsync(data_, kPoisonByte, bytes, stream_of(device)));
  }
#else
  throw_built_without_cuda();
#endif
}

Storage::~Storage() {
  if (data_ == nullptr) return;
  if (device_.is_cpu()) {
    host_release(data_, bytes_);
    return;
  }
  device_release(device_, data_);
}

void copy_bytes(Device dst_device, void* dst, Device src_device, const void* src, size_t bytes) {
  if (bytes == 0) return;
  if (dst_device.is_cpu() && src_device.is_cpu()) {
    std::memcpy(dst, src, bytes);
    return;
  }
#if RETHINK_WITH_CUDA
  if (src_device.is_cuda() && dst_device.is_cuda() && src_device != dst_device) {
    // Across GPUs: the source's queued work must finish before the destination's stream reads.
    synchronize(src_device);
  }
  // The copy runs on the stream of the device that is not the host (the destination's when
  // both are devices), after everything queued there.
  const Device on = dst_device.is_cuda() ? dst_device : src_device;
  const cudaStream_t stream = stream_of(on);
  RT_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, stream));
  if (dst_device.is_cpu() || src_device.is_cpu()) RT_CUDA_CHECK(cudaStreamSynchronize(stream));
#else
  throw_built_without_cuda();
#endif
}

void zero_bytes(Device device, void* dst, size_t bytes) {
  if (bytes == 0) return;
  if (device.is_cpu()) {
    std::memset(dst, 0, bytes);
    return;
  }
#if RETHINK_WITH_CUDA
  RT_CUDA_CHECK(cudaMemsetAsync(dst, 0, bytes, stream_of(device)));
#else
  throw_built_without_cuda();
#endif
}

}  // namespace rethink
