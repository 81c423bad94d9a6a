#include "experiments/train_profile.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include "kernels/launch_counter.h"
#include "runtime/cuda_context.h"
#include "runtime/device_allocator.h"

namespace rethink {

std::string_view train_phase_name(TrainPhase phase) {
  switch (phase) {
    case TrainPhase::kData:
      return "data";
    case TrainPhase::kForward:
      return "forward";
    case TrainPhase::kBackward:
      return "backward";
    case TrainPhase::kUpdate:
      return "update";
    case TrainPhase::kEvaluation:
      return "evaluation";
  }
  return "?";
}

double TrainProfile::step_seconds() const {
  return seconds_of(TrainPhase::kData) + seconds_of(TrainPhase::kForward) +
         seconds_of(TrainPhase::kBackward) + seconds_of(TrainPhase::kUpdate);
}

int64_t TrainProfile::step_launches() const {
  return launches_of(TrainPhase::kData) + launches_of(TrainPhase::kForward) +
         launches_of(TrainPhase::kBackward) + launches_of(TrainPhase::kUpdate);
}

PhaseClock::PhaseClock(bool on, Device device, TrainProfile& profile)
    : on_(on), device_(device), profile_(profile) {
  restart();
}

void PhaseClock::restart() {
  if (!on_) return;
  if (device_.is_cuda()) synchronize(device_);
  last_ = std::chrono::steady_clock::now();
  last_launches_ = kernels::device_launches();
}

void PhaseClock::lap(TrainPhase phase) {
  if (!on_) return;
  if (device_.is_cuda()) synchronize(device_);
  const auto now = std::chrono::steady_clock::now();
  const int64_t launches = kernels::device_launches();
  const auto i = static_cast<size_t>(phase);
  profile_.seconds[i] += std::chrono::duration<double>(now - last_).count();
  profile_.launches[i] += launches - last_launches_;
  last_ = now;
  last_launches_ = launches;
}

double peak_host_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}

nlohmann::json profile_json(const TrainProfile& p, Device device, int64_t batch_size) {
  nlohmann::json j;
  const double steps = static_cast<double>(std::max<int64_t>(p.steps, 1));
  const double total = p.step_seconds() + p.seconds_of(TrainPhase::kEvaluation);
  nlohmann::json phases = nlohmann::json::object();
  for (int i = 0; i < kTrainPhases; ++i) {
    const auto phase = static_cast<TrainPhase>(i);
    const bool eval = phase == TrainPhase::kEvaluation;
    const double per = eval ? static_cast<double>(std::max<int64_t>(p.evaluations, 1)) : steps;
    phases[std::string(train_phase_name(phase))] = {
        {"seconds", p.seconds[static_cast<size_t>(i)]},
        {eval ? "ms_per_evaluation" : "ms_per_step", 1e3 * p.seconds[static_cast<size_t>(i)] / per},
        {"share", total > 0 ? p.seconds[static_cast<size_t>(i)] / total : 0},
        {"launches", p.launches[static_cast<size_t>(i)]}};
  }
  j["phases"] = phases;
  j["steps"] = p.steps;
  j["evaluations"] = p.evaluations;
  j["batch"] = batch_size;
  j["ms_per_step"] = 1e3 * p.step_seconds() / steps;
  j["images_per_second"] =
      p.step_seconds() > 0 ? static_cast<double>(p.steps * batch_size) / p.step_seconds() : 0;
  j["launches_per_step"] = static_cast<double>(p.step_launches()) / steps;
  j["peak_host_rss_mib"] = peak_host_rss_mib();
  if (device.is_cuda()) {
    const DeviceMemoryStats m = device_memory_stats(device);
    j["peak_device_mib"] = static_cast<double>(m.peak_in_use_bytes) / (1024.0 * 1024.0);
    j["device_cached_mib"] = static_cast<double>(m.cached_bytes) / (1024.0 * 1024.0);
    j["device_driver_allocations"] = m.backend_allocations;
  } else {
    j["peak_device_mib"] = nullptr;
  }
  j["device"] = device.to_string();
  j["note"] = device.is_cuda()
                  ? "phases end with a device synchronization, so each holds its own kernels"
                  : "launches count GPU work: 0 on the CPU";
  return j;
}

std::vector<std::string> profile_lines(const nlohmann::json& j) {
  std::vector<std::string> lines;
  lines.push_back(fmt::format(
      "profile: {} steps, {:.2f} ms per step ({:.0f} images/s), {:.1f} launches per step, peak "
      "host RSS {:.1f} MiB{}",
      j["steps"].get<int64_t>(), j["ms_per_step"].get<double>(),
      j["images_per_second"].get<double>(), j["launches_per_step"].get<double>(),
      j["peak_host_rss_mib"].get<double>(),
      j["peak_device_mib"].is_null()
          ? std::string()
          : fmt::format(", peak device memory {:.1f} MiB", j["peak_device_mib"].get<double>())));
  for (int i = 0; i < kTrainPhases; ++i) {
    const std::string name(train_phase_name(static_cast<TrainPhase>(i)));
    const nlohmann::json& p = j["phases"][name];
    const bool eval = static_cast<TrainPhase>(i) == TrainPhase::kEvaluation;
    lines.push_back(
        fmt::format("  {:<10} {:9.3f} s  {:5.1f}%  {:9.3f} ms per {}  {} launches", name,
                    p["seconds"].get<double>(), 100 * p["share"].get<double>(),
                    p[eval ? "ms_per_evaluation" : "ms_per_step"].get<double>(),
                    eval ? fmt::format("evaluation ({})", j["evaluations"].get<int64_t>()) : "step",
                    p["launches"].get<int64_t>()));
  }
  return lines;
}

}  // namespace rethink
