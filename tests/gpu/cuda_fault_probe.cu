// Faults on purpose, in a child process of the KernelFault test: a kernel writes through a
// wild pointer, and the check after it must name the device, the error and the way to find
// the launch (RETHINK_SYNC_DEBUG=1), or with sync-debug on, the launch itself. Prints the
// message and exits 1; "no fault" and exit 0 would mean the fault went unseen.
#include <cstdio>
#include <exception>

#include "kernels/cuda/check.h"

namespace {

__global__ void write_through_a_wild_pointer(float* p) { p[threadIdx.x] = 1.0f; }

}  // namespace

int main() {
  try {
    RT_CUDA_CHECK(cudaSetDevice(0));
    // Address 256: never mapped on the device.
    write_through_a_wild_pointer<<<1, 32>>>(reinterpret_cast<float*>(256));
    RT_CUDA_CHECK_LAUNCH();
    RT_CUDA_CHECK(cudaDeviceSynchronize());
  } catch (const std::exception& e) {
    std::printf("%s\n", e.what());
    return 1;
  }
  std::printf("no fault\n");
  return 0;
}
