#include "experiments/system_info.h"

#include <fmt/format.h>

#include <fstream>
#include <string>
#include <string_view>

#include "kernels/blas_info.h"
#include "kernels/conv2d.h"
#include "runtime/build_info.h"
#include "runtime/gpu.h"
#include "runtime/threads.h"

#if RETHINK_WITH_CUDA
#include "kernels/cuda_libraries.h"
#endif

namespace rethink {
#if RETHINK_WITH_CUDA
namespace {

// 13000 -> "13.0"
std::string cuda_version_text(int v) {
  return v == 0 ? std::string("none") : fmt::format("{}.{}", v / 1000, (v % 1000) / 10);
}

}  // namespace
#endif

nlohmann::json system_info() {
  const BuildInfo& b = build_info();
  nlohmann::json info;
  info["build"] = {{"version", b.version},
                   {"commit", b.commit},
                   {"build_type", b.build_type},
                   {"compiler", b.compiler},
                   {"cxx_flags", b.cxx_flags}};
  info["cuda"] = {{"built", b.cuda}};
#if RETHINK_WITH_CUDA
  const kernels::cuda::LibraryVersions v = kernels::cuda::library_versions();
  info["cuda"].update({{"compiler", b.cuda_compiler},
                       {"architectures", b.cuda_architectures},
                       {"runtime", cuda_version_text(v.runtime)},
                       {"driver", cuda_version_text(v.driver)},
                       {"cublas", v.cublas},
                       {"cudnn", v.cudnn},
                       {"cusolver", v.cusolver}});
#endif
  const kernels::cpu::BlasInfo blas = kernels::cpu::blas_info();
  info["blas"] = {{"config", blas.config},
                  {"threading", blas.threading},
                  {"threads", blas.threads},
                  {"lapack_version", blas.lapack_version}};
  // The float32 convolutions' engine (kernels/conv2d.h): the two agree to rounding, not bit
  // for bit, so a run's record says which one it had.
  info["cpu_conv2d"] = kernels::Conv2dPlan::auto_engine_name(sizeof(float));
  info["threads"] = thread_count();
  info["cores"] = available_cores();
  const GpuQuery& gpus = query_gpus();
  nlohmann::json devices = nlohmann::json::array();
  for (const GpuInfo& g : gpus.devices) {
    devices.push_back(
        {{"index", g.index},
         {"name", g.name},
         {"compute_capability", fmt::format("{}.{}", g.compute_major, g.compute_minor)},
         {"memory_gib", static_cast<double>(g.memory_bytes) / (1 << 30)},
         {"multiprocessors", g.multiprocessors}});
  }
  info["gpus"] = {{"devices", devices}, {"why_none", gpus.why_none}};
  return info;
}

int64_t available_host_memory_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string line;
  constexpr std::string_view kKey = "MemAvailable:";
  while (std::getline(meminfo, line)) {
    if (line.starts_with(kKey)) return std::stoll(line.substr(kKey.size())) * 1024;  // kB
  }
  return -1;
}

}  // namespace rethink
