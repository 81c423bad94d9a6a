// Where a training run's time goes (`rethink fit --profile`): wall seconds in each phase of the
// training steps and in evaluations, device launches per step, and the peak memory of the host
// process and of the device. The trainer fills it while it runs; fit writes it into
// summary.json and prints it at the end.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/device.h"

namespace rethink {

enum class TrainPhase {
  kData,        // the loader's next batch: gather, crop, augment, whiten
  kForward,     // logits, loss, reading the loss
  kBackward,    // zeroing the gradients, backward, the gradient's norm
  kUpdate,      // the SGD step and the batch's metrics
  kEvaluation,  // whole-split evaluations (training and test splits)
};
inline constexpr int kTrainPhases = 5;
std::string_view train_phase_name(TrainPhase phase);

struct TrainProfile {
  std::array<double, kTrainPhases> seconds{};
  // Kernel launches and cuBLAS/cuDNN calls (kernels/launch_counter.h) in each phase.
  std::array<int64_t, kTrainPhases> launches{};
  int64_t steps = 0;  // training steps this session profiled
  int64_t evaluations = 0;

  double& seconds_of(TrainPhase p) { return seconds[static_cast<size_t>(p)]; }
  double seconds_of(TrainPhase p) const { return seconds[static_cast<size_t>(p)]; }
  int64_t launches_of(TrainPhase p) const { return launches[static_cast<size_t>(p)]; }
  // Seconds and launches of the four step phases together.
  double step_seconds() const;
  int64_t step_launches() const;
};

// Times the phases of a loop: lap(p) charges the time (and the launches) since the previous
// lap or restart to phase p. When profiling a GPU run it first waits for the device, so each
// phase's queued kernels are charged to it (a synchronization per phase: a little slower than
// an unprofiled run). Off, it does nothing.
class PhaseClock {
 public:
  PhaseClock(bool on, Device device, TrainProfile& profile);
  void restart();
  void lap(TrainPhase phase);
  bool on() const { return on_; }

 private:
  bool on_;
  Device device_;
  TrainProfile& profile_;
  std::chrono::steady_clock::time_point last_;
  int64_t last_launches_ = 0;
};

// summary.json's "profile": per-phase seconds (total and per step or per evaluation) and
// shares, launches per step, and the peak host RSS and device memory (`device`'s caching
// allocator: the most its live tensors ever held; null on the CPU).
nlohmann::json profile_json(const TrainProfile& profile, Device device, int64_t batch_size);
// The same, as lines for a person.
std::vector<std::string> profile_lines(const nlohmann::json& profile);

// The process's peak resident set size so far, in MiB (getrusage).
double peak_host_rss_mib();

}  // namespace rethink
