// rethink info: what this build is and what this machine offers it.
#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "experiments/commands/registry.h"
#include "experiments/system_info.h"
#include "experiments/validators.h"
#include "runtime/threads.h"

namespace rethink::cli {
namespace {

struct InfoOptions {
  int threads = 0;
  bool json = false;
};

int run_info(const InfoOptions& opts) {
  set_thread_count(opts.threads);
  const nlohmann::json info = system_info();
  if (opts.json) {
    fmt::print("{}\n", info.dump(2));
    return kExitOk;
  }
  const auto& b = info["build"];
  fmt::print("{}\n", version_line());
  fmt::print("  build      {} with {}, flags '{}'\n", b["build_type"].get<std::string>(),
             b["compiler"].get<std::string>(), b["cxx_flags"].get<std::string>());
  const auto& c = info["cuda"];
  if (c["built"].get<bool>()) {
    fmt::print("  CUDA       {} for architectures {}; runtime {}, driver {}\n",
               c["compiler"].get<std::string>(), c["architectures"].get<std::string>(),
               c["runtime"].get<std::string>(), c["driver"].get<std::string>());
    fmt::print("  cuBLAS     {}\n  cuDNN      {}\n", c["cublas"].get<std::string>(),
               c["cudnn"].get<std::string>());
    fmt::print("  cuSOLVER   {}\n", c["cusolver"].get<std::string>());
  } else {
    fmt::print("  CUDA       not built (no nvcc at configure time, or -DRETHINK_CUDA=OFF)\n");
  }
  const auto& blas = info["blas"];
  fmt::print("  BLAS       {} ({} threading, {} threads)\n", blas["config"].get<std::string>(),
             blas["threading"].get<std::string>(), blas["threads"].get<int>());
  fmt::print("  LAPACK     {} (through LAPACKE)\n", blas["lapack_version"].get<std::string>());
  fmt::print(
      "  conv2d     {} on the CPU (float32; RETHINK_CPU_KERNELS=blas|avx2|avx512 to choose)\n",
      info["cpu_conv2d"].get<std::string>());
  fmt::print("  threads    {} of {} cores\n", info["threads"].get<int>(), info["cores"].get<int>());
  const auto& gpus = info["gpus"];
  if (gpus["devices"].empty()) {
    fmt::print("  GPUs       none usable: {}\n", gpus["why_none"].get<std::string>());
  }
  for (const auto& g : gpus["devices"]) {
    fmt::print("  GPU {}      {} (compute {}, {:.1f} GiB, {} SMs)\n", g["index"].get<int>(),
               g["name"].get<std::string>(), g["compute_capability"].get<std::string>(),
               g["memory_gib"].get<double>(), g["multiprocessors"].get<int>());
  }
  return kExitOk;
}

}  // namespace

Command add_info_command(CLI::App& app) {
  auto opts = std::make_shared<InfoOptions>();
  CLI::App* sub = app.add_subcommand(
      "info", "Print the version, build, CUDA/cuDNN/cuBLAS and BLAS versions, threads and GPUs");
  sub->add_option("--threads", opts->threads, "CPU threads for OpenMP and OpenBLAS (0: all cores)")
      ->check(non_negative());
  sub->add_flag("--json", opts->json, "Print the same facts as JSON");
  return {sub, [opts] { return run_info(*opts); }};
}

}  // namespace rethink::cli
