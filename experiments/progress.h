// What a run shows while it trains: on a terminal a progress bar redrawn in place (epoch, loss,
// accuracy, images/s, ETA) with a line per evaluation above it; otherwise (a pipe, a log file)
// only the evaluation lines.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "experiments/trainer.h"

namespace rethink {

class Progress {
 public:
  enum class Mode {
    kBar,      // the bar and the evaluation lines
    kLines,    // the evaluation lines
    kBarOnly,  // the bar alone (sweeps print their own line per run)
    kQuiet,    // nothing
  };
  // "auto": kBar on a terminal, kLines otherwise; "bar", "lines", "quiet". `brief` turns the
  // evaluation lines off (kBar -> kBarOnly, kLines -> kQuiet).
  static Mode parse(std::string_view text, bool brief = false);

  Progress(Mode mode, int64_t total_epochs, std::string label = {});
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void on_step(const TrainState& state, int64_t steps_per_epoch);
  void on_evaluation(const EpochRecord& record);
  // A line of text, printed above the bar.
  void print(std::string_view line);
  void clear_bar();

 private:
  using Clock = std::chrono::steady_clock;

  Mode mode_;
  int64_t total_epochs_;
  std::string label_;
  bool bar_shown_ = false;
  Clock::time_point last_draw_{};
  Clock::time_point session_start_{};
  int64_t session_first_step_ = -1;
};

// "1:23" or "1:02:03".
std::string format_duration(double seconds);

}  // namespace rethink
