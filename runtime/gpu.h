// What CUDA devices this process can use, asked once of the CUDA runtime.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace rethink {

struct GpuInfo {
  int index = 0;
  std::string name;
  int compute_major = 0;
  int compute_minor = 0;
  size_t memory_bytes = 0;
  int multiprocessors = 0;
  // Empty when this build has code for the device; otherwise why not and the fix (a GPU older
  // than the compiled architectures).
  std::string unsupported;
};

struct GpuQuery {
  bool built_with_cuda = false;
  std::vector<GpuInfo> devices;
  // Why there are no usable devices, in words: "built without CUDA", or the CUDA runtime's
  // answer ("CUDA driver version is insufficient for CUDA runtime version" on a machine
  // without a driver). Empty when devices were found.
  std::string why_none;
};

// Any error from the device query means "no usable GPU": never an exception.
const GpuQuery& query_gpus();

// Free and total memory of CUDA device `index` at this moment (cudaMemGetInfo), for checks
// that refuse work which cannot fit; nullopt without CUDA or when the query fails.
struct GpuMemory {
  size_t free_bytes = 0;
  size_t total_bytes = 0;
};
std::optional<GpuMemory> gpu_memory(int index);

}  // namespace rethink
