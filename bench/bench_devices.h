// The device list the benchmark binaries take (--devices auto|cpu|cuda|cpu,cuda), shared by
// train_step_bench and ops_bench.
#pragma once

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <string>
#include <vector>

#include "bench/bench_flags.h"
#include "kernels/error.h"
#include "runtime/cuda_context.h"
#include "runtime/device.h"
#include "runtime/gpu.h"

namespace rethink::bench {

// The devices to time: "auto" is the CPU plus the first GPU if one is usable (a missing GPU
// is then noted in the benchmark context); an explicit "cuda" without one is a UserError.
inline std::vector<Device> devices_of(const std::string& text) {
  const GpuQuery& gpus = query_gpus();
  const bool gpu = !gpus.devices.empty() && gpus.devices.front().unsupported.empty();
  const std::string why = gpus.devices.empty() ? gpus.why_none : gpus.devices.front().unsupported;
  std::vector<Device> out;
  for (const std::string& d : split_list(text == "auto" ? "cpu,cuda?" : text)) {
    if (d == "cpu") {
      out.push_back(Device::cpu());
    } else if (d == "cuda" || d == "cuda?") {
      if (gpu && kBuiltWithCuda) {
        out.push_back(Device::cuda(0));
      } else if (d == "cuda") {
        throw UserError(fmt::format("--devices {}: no usable GPU ({})", text, why));
      } else {
        benchmark::AddCustomContext("cuda", fmt::format("skipped: no usable GPU ({})", why));
      }
    } else {
      throw UserError(fmt::format("--devices '{}': give auto, cpu, cuda or cpu,cuda", text));
    }
  }
  if (gpu) benchmark::AddCustomContext("gpu", gpus.devices.front().name);
  return out;
}

}  // namespace rethink::bench
