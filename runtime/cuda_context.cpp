#include "runtime/cuda_context.h"

#include "kernels/check.h"
#include "runtime/compute_settings.h"

#if RETHINK_WITH_CUDA
#include <cuda_runtime_api.h>

#include <array>
#include <atomic>
#include <memory>
#include <mutex>

#include "kernels/cuda/check.h"
#include "kernels/cuda/handles.h"
#endif

namespace rethink {

void throw_built_without_cuda() {
  throw UserError(
      "this build of rethink was built without CUDA: use --device cpu, or rebuild with nvcc on "
      "PATH (-DRETHINK_CUDA=ON)");
}

#if RETHINK_WITH_CUDA
namespace {

struct DeviceState {
  kernels::Stream stream = nullptr;
  cublasContext* blas = nullptr;
  std::once_flag dnn_once;
  cudnnContext* dnn = nullptr;
  std::once_flag solver_once;
  cusolverDnContext* solver = nullptr;
};

// Ordinals beyond this are refused; no machine we run on has more GPUs.
constexpr int kMaxDevices = 64;

// Never freed: the CUDA runtime may be gone by the time static destructors run.
std::array<std::atomic<DeviceState*>, kMaxDevices> g_states{};
std::mutex g_create_mutex;
// The device the calling thread last made current through here; every cudaSetDevice of the
// library goes through make_current or restores the device it found.
thread_local int t_current = -1;

void make_current(int index) {
  if (t_current == index) return;
  RT_CUDA_CHECK(cudaSetDevice(index));
  t_current = index;
}

DeviceState& state_for(Device device) {
  RT_CHECK(device.is_cuda(), "asked for the CUDA state of {}", device.to_string());
  const int index = device.index;
  RT_CHECK(index >= 0 && index < kMaxDevices, "CUDA device ordinal {} is out of range", index);
  DeviceState* state = g_states[index].load(std::memory_order_acquire);
  if (state == nullptr) {
    std::lock_guard<std::mutex> lock(g_create_mutex);
    state = g_states[index].load(std::memory_order_acquire);
    if (state == nullptr) {
      int count = 0;
      if (cudaError_t status = cudaGetDeviceCount(&count); status != cudaSuccess) {
        cudaGetLastError();
        throw UserError(
            fmt::format("{} asked for, but there is no usable GPU: {} ({}); use "
                        "--device cpu",
                        device.to_string(), cudaGetErrorString(status), cudaGetErrorName(status)));
      }
      if (index >= count) {
        throw UserError(fmt::format("{} asked for, but there are only {} CUDA device(s)",
                                    device.to_string(), count));
      }
      if (const std::string why = kernels::cuda::device_unsupported_reason(index); !why.empty()) {
        throw UserError(why);
      }
      auto fresh = std::make_unique<DeviceState>();
      fresh->stream = kernels::cuda::create_stream(index);
      fresh->blas = kernels::cuda::create_blas_handle(index, fresh->stream);
      t_current = index;  // the creators left it current
      state = fresh.release();
      g_states[index].store(state, std::memory_order_release);
    }
  }
  make_current(index);
  return *state;
}

}  // namespace

kernels::Stream cuda_stream(Device device) { return state_for(device).stream; }

kernels::cuda::Context cuda_context(Device device) {
  const DeviceState& s = state_for(device);
  return {s.stream, s.blas, nullptr, compute_settings().math};
}

kernels::cuda::Context cudnn_context(Device device) {
  DeviceState& s = state_for(device);
  std::call_once(s.dnn_once, [&] {
    s.dnn = kernels::cuda::create_dnn_handle(device.index, s.stream);
    t_current = device.index;
  });
  return {s.stream, s.blas, s.dnn, compute_settings().math};
}

kernels::cuda::Context solver_context(Device device) {
  DeviceState& s = state_for(device);
  std::call_once(s.solver_once, [&] {
    s.solver = kernels::cuda::create_solver_handle(device.index, s.stream);
    t_current = device.index;
  });
  kernels::cuda::Context c{s.stream, s.blas, nullptr, compute_settings().math};
  c.solver = s.solver;
  return c;
}

void synchronize(Device device) {
  if (device.is_cpu()) return;
  RT_CUDA_CHECK(cudaStreamSynchronize(reinterpret_cast<cudaStream_t>(state_for(device).stream)));
}

#else

kernels::Stream cuda_stream(Device) { throw_built_without_cuda(); }
kernels::cuda::Context cuda_context(Device) { throw_built_without_cuda(); }
kernels::cuda::Context cudnn_context(Device) { throw_built_without_cuda(); }
kernels::cuda::Context solver_context(Device) { throw_built_without_cuda(); }
void synchronize(Device device) {
  if (device.is_cuda()) throw_built_without_cuda();
}

#endif

}  // namespace rethink
