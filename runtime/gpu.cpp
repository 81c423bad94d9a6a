#include "runtime/gpu.h"

#include <fmt/format.h>

#if RETHINK_WITH_CUDA
#include <cuda_runtime_api.h>

#include "kernels/cuda/handles.h"
#endif

namespace rethink {
namespace {

GpuQuery run_query() {
  GpuQuery q;
#if RETHINK_WITH_CUDA
  q.built_with_cuda = true;
  int count = 0;
  if (cudaError_t status = cudaGetDeviceCount(&count); status != cudaSuccess) {
    q.why_none = fmt::format("{} ({})", cudaGetErrorString(status), cudaGetErrorName(status));
    cudaGetLastError();  // the query failed; do not leave the error pending for later calls
    return q;
  }
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) {
      cudaGetLastError();
      continue;
    }
    GpuInfo info{
        i, prop.name, prop.major, prop.minor, prop.totalGlobalMem, prop.multiProcessorCount, ""};
    try {
      info.unsupported = kernels::cuda::device_unsupported_reason(i);
    } catch (const std::exception& e) {
      info.unsupported = e.what();
    }
    q.devices.push_back(std::move(info));
  }
  if (q.devices.empty()) q.why_none = "the CUDA runtime reports no devices";
#else
  q.why_none = "built without CUDA";
#endif
  return q;
}

}  // namespace

const GpuQuery& query_gpus() {
  static const GpuQuery query = run_query();
  return query;
}

std::optional<GpuMemory> gpu_memory(int index) {
#if RETHINK_WITH_CUDA
  int current = 0;
  GpuMemory m;
  if (cudaGetDevice(&current) != cudaSuccess || cudaSetDevice(index) != cudaSuccess) {
    cudaGetLastError();  // leave no error pending for later calls
    return std::nullopt;
  }
  const bool ok = cudaMemGetInfo(&m.free_bytes, &m.total_bytes) == cudaSuccess;
  cudaSetDevice(current);  // the caller's current device, as it was
  if (!ok) {
    cudaGetLastError();
    return std::nullopt;
  }
  return m;
#else
  (void)index;
  return std::nullopt;
#endif
}

}  // namespace rethink
