#include "runtime/memory.h"

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>

#include "kernels/check.h"

#if RETHINK_WITH_CUDA
#include <cuda_runtime_api.h>

#include "kernels/cuda/check.h"
#endif

namespace rethink {
namespace {

double mib(size_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

#if !RETHINK_WITH_CUDA
[[noreturn]] void throw_built_without_cuda() {
  RT_FAIL("this build of rethink was built without CUDA: use --device cpu, or rebuild with nvcc "
          "on PATH (-DRETHINK_CUDA=ON)");
}
#endif

}  // namespace

Storage::Storage(Device device, size_t bytes) : device_(device), bytes_(bytes) {
  if (bytes == 0) return;
  if (device.is_cpu()) {
    const size_t rounded = (bytes + kHostAlignment - 1) / kHostAlignment * kHostAlignment;
    data_ = std::aligned_alloc(kHostAlignment, rounded);
    if (data_ == nullptr) {
      throw Error(fmt::format("out of host memory allocating {:.1f} MiB", mib(bytes)));
    }
    return;
  }
#if RETHINK_WITH_CUDA
  RT_CUDA_CHECK(cudaSetDevice(device.index));
  if (cudaError_t status = cudaMalloc(&data_, bytes); status != cudaSuccess) {
    cudaGetLastError();
    size_t free_bytes = 0, total_bytes = 0;
    cudaMemGetInfo(&free_bytes, &total_bytes);
    throw Error(fmt::format("out of GPU memory on {} allocating {:.1f} MiB ({:.1f} of {:.1f} MiB "
                            "free): lower --batch or use a smaller model",
                            device.to_string(), mib(bytes), mib(free_bytes), mib(total_bytes)));
  }
#else
  throw_built_without_cuda();
#endif
}

Storage::~Storage() {
  if (data_ == nullptr) return;
  if (device_.is_cpu()) {
    std::free(data_);
    return;
  }
#if RETHINK_WITH_CUDA
  cudaFree(data_);  // a destructor must not throw; a failure here surfaces at the next check
#endif
}

void copy_bytes(Device dst_device, void* dst, Device src_device, const void* src, size_t bytes) {
  if (bytes == 0) return;
  if (dst_device.is_cpu() && src_device.is_cpu()) {
    std::memcpy(dst, src, bytes);
    return;
  }
#if RETHINK_WITH_CUDA
  RT_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDefault));
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
  RT_CUDA_CHECK(cudaMemset(dst, 0, bytes));
#else
  throw_built_without_cuda();
#endif
}

}  // namespace rethink
