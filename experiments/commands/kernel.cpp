// rethink kernel: minimum-norm kernel interpolation (PAPER.md section 7). Solves K C = Y exactly
// for an RBF kernel on raw pixels and reports the test error and the interpolant's norm, as the
// paper's MNIST recipe does (gamma 0.02, one-hot targets, no regularization).
#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "datasets/dataset.h"
#include "datasets/design_matrix.h"
#include "experiments/commands/registry.h"
#include "experiments/format.h"
#include "experiments/kernel_interpolation.h"
#include "experiments/run_dir.h"
#include "experiments/system_info.h"
#include "experiments/validators.h"
#include "kernels/error.h"
#include "runtime/device.h"
#include "runtime/gpu.h"
#include "runtime/threads.h"

namespace rethink::cli {
namespace {

struct KernelOptions {
  std::string data = kDefaultDataSpec;
  SubsetOptions subset;
  KernelInterpolationOptions solve;
  uint64_t seed = 0;
  int threads = 0;
  std::string device = "auto";
  std::string out;
  bool overwrite = false;
};

double gib(int64_t bytes) { return static_cast<double>(bytes) / (1 << 30); }

// The memory the run's device has: the host's available memory, or the GPU's free memory.
void check_memory(const Dataset& data, const KernelOptions& o) {
  int64_t available = -1;
  if (o.solve.device.is_cuda()) {
    const std::optional<GpuMemory> memory = gpu_memory(o.solve.device.index);
    if (memory) available = static_cast<int64_t>(memory->free_bytes);
  } else {
    available = available_host_memory_bytes();
  }
  if (available < 0) return;  // unknown: let the allocation decide
  const std::string refusal =
      kernel_memory_refusal(data.train.size(), data.test.size(),
                            data.channels * data.height * data.width, o.solve, available);
  if (!refusal.empty()) throw UserError(refusal);
}

int run_kernel(KernelOptions o) {
  const int threads = set_thread_count(o.threads);
  // auto: a usable GPU, else the CPU, saying why.
  const ResolvedDevice device = resolve_device(parse_device(o.device));
  o.solve.device = device.device;
  const Dataset data = load_dataset(o.data, o.seed, o.subset);
  check_memory(data, o);
  const std::string out =
      o.out.empty() ? fmt::format("runs/kernel-{}", utc_time_string("%Y%m%d-%H%M%S")) : o.out;
  const RunDir run = RunDir::create(out, o.overwrite);
  const int64_t n = data.train.size(), m = data.test.size();
  fmt::print("rethink kernel: minimum-norm RBF interpolation on {}, n = {} training and {} test "
             "points in d = {} dimensions\n",
             data.spec, with_thousands(n), with_thousands(m),
             with_thousands(data.channels * data.height * data.width));
  fmt::print("  K = exp(-{} ||x - x'||^2) on pixels / 255, one-hot targets, {}, {}, {} threads; "
             "the kernel matrix takes {:.2f} GiB\n",
             o.solve.gamma, o.solve.ridge > 0 ? fmt::format("ridge {}", o.solve.ridge)
                                              : std::string("no regularization"),
             o.solve.float32 ? "float32" : "float64", threads,
             gib(n * n * (o.solve.float32 ? 4 : 8)));
  fmt::print("  device {} ({})\n", device.device.to_string(), device.reason);
  std::fflush(stdout);

  const KernelInterpolationResult r = kernel_interpolate(
      design_matrix(data.train), data.train.labels, design_matrix(data.test), data.test.labels,
      data.classes, o.solve, [](const std::string& phase, bool done) {
        if (!done) {
          fmt::print("  {}...", phase);
        } else {
          fmt::print(" done\n");
        }
        std::fflush(stdout);
      });

  fmt::print("  solver {}: {:.1f} s kernel, {:.1f} s solve, {:.1f} s training check, {:.1f} s "
             "test\n",
             r.solver, r.seconds_kernel, r.seconds_solve, r.seconds_train_check, r.seconds_test);
  fmt::print("  training error {:.2f}% (max |KC - Y| = {:.2g}), test error {:.2f}%, RKHS norm "
             "sqrt(trace(C^T K C)) = {:.4g}\n",
             100 * r.train_error, r.max_train_residual, 100 * r.test_error, r.rkhs_norm);
  fmt::print("  paper (section 5): MNIST 1.2% test error, norm ~220; CIFAR-10 46%{}\n",
             data.kind == "fashion-mnist" ? "; this is Fashion-MNIST, a harder data set than "
                                            "MNIST, so expect a higher error"
                                          : "");

  run.write_json("config.json", {{"command", "kernel"},
                                 {"settings",
                                  {{"data", o.data},
                                   {"subset", o.subset.train},
                                   {"subset_mode", o.subset.mode},
                                   {"test_subset", o.subset.test},
                                   {"gamma", o.solve.gamma},
                                   {"ridge", o.solve.ridge},
                                   {"float32", o.solve.float32},
                                   {"seed", o.seed},
                                   {"threads", threads},
                                   {"device", o.device}}},
                                 {"device",
                                  {{"requested", o.device},
                                   {"used", device.device.to_string()},
                                   {"reason", device.reason}}},
                                 {"points", "pixel vectors x / 255, no crop or whitening"},
                                 {"system", system_info()}});
  run.write_json("summary.json", {{"train_size", r.train_size},
                                  {"test_size", r.test_size},
                                  {"dims", r.dims},
                                  {"classes", r.classes},
                                  {"solver", r.solver},
                                  {"train_error", r.train_error},
                                  {"max_train_residual", r.max_train_residual},
                                  {"test_error", r.test_error},
                                  {"rkhs_norm", r.rkhs_norm},
                                  {"seconds_kernel", r.seconds_kernel},
                                  {"seconds_solve", r.seconds_solve},
                                  {"seconds_train_check", r.seconds_train_check},
                                  {"seconds_test", r.seconds_test}});
  fmt::print("wrote {}\n", run.path().string());
  return kExitOk;
}

}  // namespace

Command add_kernel_command(CLI::App& app) {
  auto o = std::make_shared<KernelOptions>();
  CLI::App* sub = app.add_subcommand(
      "kernel", "Minimum-norm kernel interpolation: solve K C = Y exactly, report the test error");
  sub->add_option("--data", o->data, "Data source (as for fit)")->capture_default_str();
  sub->add_option("--subset", o->subset.train,
                  "Interpolate the first N training points (0: all; the matrix is N x N)")
      ->check(non_negative())
      ->capture_default_str();
  sub->add_option("--subset-mode", o->subset.mode, "first or balanced (as for fit)")
      ->check(CLI::IsMember({"first", "balanced"}))
      ->capture_default_str();
  sub->add_option("--test-subset", o->subset.test, "Test on the first M test points (0: all)")
      ->check(non_negative())
      ->capture_default_str();
  sub->add_option("--gamma", o->solve.gamma, "RBF bandwidth: exp(-gamma ||x - x'||^2)")
      ->check(positive())
      ->capture_default_str();
  sub->add_option("--ridge", o->solve.ridge, "Add this to K's diagonal (0: exact interpolation)")
      ->check(non_negative())
      ->capture_default_str();
  sub->add_flag("--float32", o->solve.float32, "Solve in float32 (half the memory)");
  sub->add_option("--seed", o->seed, "Seed for a balanced subset")->capture_default_str();
  sub->add_option("--threads", o->threads, "CPU threads (0: all cores)")
      ->check(non_negative())
      ->capture_default_str();
  sub->add_option("--device", o->device,
                  "auto (a usable GPU, else the CPU), cpu, cuda or cuda:N: where the matrix is "
                  "built and solved")
      ->capture_default_str();
  sub->add_option("--out", o->out, "Run directory (default: runs/kernel-<UTC time>)");
  sub->add_flag("--overwrite", o->overwrite, "Reuse a run directory that already holds a run");
  return {sub, [o] { return run_kernel(*o); }};
}

}  // namespace rethink::cli
