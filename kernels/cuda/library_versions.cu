// Links the CUDA runtime, cuBLAS, cuDNN and cuSOLVER into the build and reads their versions: proof that
// the toolchain works, and what `rethink info` reports.
#include <cublas_v2.h>
#include <cudnn.h>
#include <cusolverDn.h>

#include "kernels/cuda/check.h"
#include "kernels/cuda_libraries.h"

namespace rethink::kernels::cuda {
namespace {

std::string dotted(size_t major, size_t minor, size_t patch) {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

}  // namespace

LibraryVersions library_versions() {
  LibraryVersions v;
  RT_CUDA_CHECK(cudaRuntimeGetVersion(&v.runtime));
  if (cudaDriverGetVersion(&v.driver) != cudaSuccess) v.driver = 0;

  int major = 0, minor = 0, patch = 0;
  if (cublasGetProperty(MAJOR_VERSION, &major) == CUBLAS_STATUS_SUCCESS &&
      cublasGetProperty(MINOR_VERSION, &minor) == CUBLAS_STATUS_SUCCESS &&
      cublasGetProperty(PATCH_LEVEL, &patch) == CUBLAS_STATUS_SUCCESS) {
    v.cublas = dotted(major, minor, patch);
  } else {
    v.cublas = "unavailable";
  }

  if (cusolverGetProperty(MAJOR_VERSION, &major) == CUSOLVER_STATUS_SUCCESS &&
      cusolverGetProperty(MINOR_VERSION, &minor) == CUSOLVER_STATUS_SUCCESS &&
      cusolverGetProperty(PATCH_LEVEL, &patch) == CUSOLVER_STATUS_SUCCESS) {
    v.cusolver = dotted(major, minor, patch);
  } else {
    v.cusolver = "unavailable";
  }

  // cuDNN 9 encodes its version as major * 10000 + minor * 100 + patch.
  const size_t cudnn = cudnnGetVersion();
  v.cudnn = dotted(cudnn / 10000, (cudnn / 100) % 100, cudnn % 100);
  return v;
}

}  // namespace rethink::kernels::cuda
