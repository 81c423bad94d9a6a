#include <cublas_v2.h>
#include <cudnn.h>
#include <cusolverDn.h>

#include <string>

#include "kernels/cuda/blas_check.h"
#include "kernels/cuda/handles.h"
#include "kernels/cuda/solver_check.h"
#include "kernels/cudnn/check.h"

#ifndef RETHINK_CUDA_ARCHITECTURES
#error "RETHINK_CUDA_ARCHITECTURES must name the architectures this build compiles for"
#endif

namespace rethink::kernels::cuda {
namespace {

// Asked for its attributes, never launched: the runtime then loads this file's module and
// reports whether any of its images (machine code or PTX) fits the device.
__global__ void probe_kernel() {}

}  // namespace

std::string compiled_architectures() { return RETHINK_CUDA_ARCHITECTURES; }

std::string device_unsupported_reason(int device) {
  cudaDeviceProp prop{};
  if (cudaError_t status = cudaGetDeviceProperties(&prop, device); status != cudaSuccess) {
    cudaGetLastError();
    return "cuda:" + std::to_string(device) + " cannot be queried: " + cudaGetErrorString(status);
  }
  // The question must not move the caller's current device (the runtime tracks it).
  int previous = 0;
  RT_CUDA_CHECK(cudaGetDevice(&previous));
  RT_CUDA_CHECK(cudaSetDevice(device));
  cudaFuncAttributes attributes{};
  const cudaError_t status = cudaFuncGetAttributes(&attributes, probe_kernel);
  cudaGetLastError();
  RT_CUDA_CHECK(cudaSetDevice(previous));
  if (status == cudaSuccess) return "";
  const std::string capability = std::to_string(prop.major) + std::to_string(prop.minor);
  return "cuda:" + std::to_string(device) + " (" + prop.name + ") has compute capability " +
         std::to_string(prop.major) + "." + std::to_string(prop.minor) +
         ", but this build has GPU code for architectures " + compiled_architectures() + " only (" +
         cudaGetErrorString(status) + "): rebuild with -DCMAKE_CUDA_ARCHITECTURES=" + capability +
         ", or run with --device cpu";
}

Stream create_stream(int device) {
  RT_CUDA_CHECK(cudaSetDevice(device));
  cudaStream_t stream = nullptr;
  // Blocking (not cudaStreamNonBlocking): it synchronizes with the legacy default stream, so
  // cudaMemcpy and kernels launched on a null stream stay ordered with ours.
  RT_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamDefault));
  return stream;
}

cublasContext* create_blas_handle(int device, Stream stream) {
  RT_CUDA_CHECK(cudaSetDevice(device));
  cublasHandle_t handle = nullptr;
  RT_CUBLAS_CHECK(cublasCreate(&handle));
  RT_CUBLAS_CHECK(cublasSetStream(handle, reinterpret_cast<cudaStream_t>(stream)));
  return handle;
}

cudnnContext* create_dnn_handle(int device, Stream stream) {
  RT_CUDA_CHECK(cudaSetDevice(device));
  cudnnHandle_t handle = nullptr;
  RT_CUDNN_CHECK(cudnnCreate(&handle));
  RT_CUDNN_CHECK(cudnnSetStream(handle, reinterpret_cast<cudaStream_t>(stream)));
  return handle;
}

cusolverDnContext* create_solver_handle(int device, Stream stream) {
  RT_CUDA_CHECK(cudaSetDevice(device));
  cusolverDnHandle_t handle = nullptr;
  RT_CUSOLVER_CHECK(cusolverDnCreate(&handle));
  RT_CUSOLVER_CHECK(cusolverDnSetStream(handle, reinterpret_cast<cudaStream_t>(stream)));
  return handle;
}

}  // namespace rethink::kernels::cuda
