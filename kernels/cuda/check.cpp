#include "kernels/cuda/check.h"

#include <cublas_v2.h>
#include <cusolverDn.h>
#include <fmt/format.h>

#include <cstdlib>
#include <cstring>

#include "kernels/cuda/blas_check.h"
#include "kernels/cuda/solver_check.h"

namespace rethink::kernels::cuda {
namespace {

// "cuda:0 (NVIDIA H200)", or "the current CUDA device" when even that cannot be asked.
std::string current_device() {
  int device = -1;
  if (cudaGetDevice(&device) != cudaSuccess) {
    cudaGetLastError();
    return "the current CUDA device";
  }
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, device) != cudaSuccess) {
    cudaGetLastError();
    return fmt::format("cuda:{}", device);
  }
  return fmt::format("cuda:{} ({})", device, prop.name);
}

// A fault inside a kernel poisons the process's context: every later call fails the same way.
bool is_sticky(cudaError_t status) {
  switch (status) {
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchFailure:
    case cudaErrorMisalignedAddress:
    case cudaErrorIllegalInstruction:
    case cudaErrorHardwareStackError:
    case cudaErrorInvalidAddressSpace:
    case cudaErrorInvalidPc:
    case cudaErrorAssert:
    case cudaErrorLaunchTimeout:
    case cudaErrorECCUncorrectable:
      return true;
    default:
      return false;
  }
}

std::string hint_for(cudaError_t status) {
  if (status == cudaErrorMemoryAllocation) {
    return "; the GPU is out of memory: lower --batch or use a smaller model";
  }
  if (status == cudaErrorNoKernelImageForDevice || status == cudaErrorUnsupportedPtxVersion ||
      status == cudaErrorInvalidDeviceFunction) {
    return "; this build has no code for the GPU's architecture: reconfigure with "
           "-DCMAKE_CUDA_ARCHITECTURES=<its compute capability, e.g. 75> and rebuild";
  }
  if (status == cudaErrorInsufficientDriver || status == cudaErrorNoDevice) {
    return "; there is no usable GPU: run with --device cpu";
  }
  if (is_sticky(status)) {
    return std::string("; a kernel faulted, and the GPU context of this process is lost") +
           (sync_debug_enabled() ? ": run the same command under compute-sanitizer to find "
                                   "the bad access"
                                 : ": rerun with RETHINK_SYNC_DEBUG=1 to name the launch that "
                                   "faulted");
  }
  if (!sync_debug_enabled()) {
    return "; rerun with RETHINK_SYNC_DEBUG=1 to find the launch that failed";
  }
  return "";
}

// cuSOLVER has no status-string function of its own.
const char* cusolver_status_name(cusolverStatus_t status) {
  switch (status) {
    case CUSOLVER_STATUS_SUCCESS: return "CUSOLVER_STATUS_SUCCESS";
    case CUSOLVER_STATUS_NOT_INITIALIZED: return "CUSOLVER_STATUS_NOT_INITIALIZED";
    case CUSOLVER_STATUS_ALLOC_FAILED: return "CUSOLVER_STATUS_ALLOC_FAILED";
    case CUSOLVER_STATUS_INVALID_VALUE: return "CUSOLVER_STATUS_INVALID_VALUE";
    case CUSOLVER_STATUS_ARCH_MISMATCH: return "CUSOLVER_STATUS_ARCH_MISMATCH";
    case CUSOLVER_STATUS_EXECUTION_FAILED: return "CUSOLVER_STATUS_EXECUTION_FAILED";
    case CUSOLVER_STATUS_INTERNAL_ERROR: return "CUSOLVER_STATUS_INTERNAL_ERROR";
    case CUSOLVER_STATUS_NOT_SUPPORTED: return "CUSOLVER_STATUS_NOT_SUPPORTED";
    case CUSOLVER_STATUS_INVALID_WORKSPACE: return "CUSOLVER_STATUS_INVALID_WORKSPACE";
    default: return "another cuSOLVER status";
  }
}

}  // namespace

bool sync_debug_enabled() {
  static const bool enabled = [] {
    const char* v = std::getenv("RETHINK_SYNC_DEBUG");
    return v != nullptr && std::strcmp(v, "0") != 0 && v[0] != '\0';
  }();
  return enabled;
}

void throw_cuda_error(cudaError_t status, const char* expr, const char* file, int line) {
  if (!is_sticky(status)) cudaGetLastError();  // leave no stale error for the next check
  detail::throw_located(
      file, line,
      fmt::format("CUDA call {} failed on {}: {} ({}){}", expr, current_device(),
                  cudaGetErrorString(status), cudaGetErrorName(status), hint_for(status)));
}

void throw_cublas_error(cublasStatus_t status, const char* expr, const char* file, int line) {
  std::string hint;
  if (status == CUBLAS_STATUS_ALLOC_FAILED) {
    hint = "; the GPU is out of memory: lower --batch or use a smaller model";
  } else if (status == CUBLAS_STATUS_NOT_INITIALIZED) {
    hint =
        "; cuBLAS could not start (no usable GPU or driver, or libcublas is missing): run "
        "with --device cpu, or put libcublas.so.13 on LD_LIBRARY_PATH";
  } else if (status == CUBLAS_STATUS_ARCH_MISMATCH) {
    hint = "; the GPU is too old for this operation";
  }
  detail::throw_located(
      file, line,
      fmt::format("cuBLAS call {} failed on {}: {} ({}){}", expr, current_device(),
                  cublasGetStatusString(status), cublasGetStatusName(status), hint));
}

void throw_cusolver_error(cusolverStatus_t status, const char* expr, const char* file,
                          int line) {
  std::string hint;
  if (status == CUSOLVER_STATUS_ALLOC_FAILED) {
    hint = "; the GPU is out of memory: use a smaller --subset, or --float32";
  } else if (status == CUSOLVER_STATUS_NOT_INITIALIZED) {
    hint =
        "; cuSOLVER could not start (no usable GPU or driver, or libcusolver is missing): run "
        "with --device cpu, or put libcusolver.so.12 (and the libcusparse and libnvJitLink it "
        "loads) on LD_LIBRARY_PATH";
  } else if (status == CUSOLVER_STATUS_ARCH_MISMATCH) {
    hint = "; the GPU is too old for this operation";
  }
  detail::throw_located(
      file, line,
      fmt::format("cuSOLVER call {} failed on {}: {} (status {}){}", expr, current_device(),
                  cusolver_status_name(status), static_cast<int>(status), hint));
}

}  // namespace rethink::kernels::cuda
