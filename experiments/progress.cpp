#include "experiments/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "kernels/check.h"

namespace rethink {
namespace {

constexpr int kBarWidth = 24;
constexpr double kRedrawSeconds = 0.2;

}  // namespace

std::string format_duration(double seconds) {
  const int64_t s = std::max<int64_t>(0, std::llround(seconds));
  if (s >= 3600) return fmt::format("{}:{:02d}:{:02d}", s / 3600, (s / 60) % 60, s % 60);
  return fmt::format("{}:{:02d}", s / 60, s % 60);
}

Progress::Mode Progress::parse(std::string_view text, bool brief) {
  Mode m;
  if (text == "auto") {
    m = ::isatty(STDOUT_FILENO) ? Mode::kBar : Mode::kLines;
  } else if (text == "bar") {
    m = Mode::kBar;
  } else if (text == "lines") {
    m = Mode::kLines;
  } else if (text == "quiet") {
    m = Mode::kQuiet;
  } else {
    throw UserError(fmt::format("--progress '{}': use auto, bar, lines or quiet", text));
  }
  if (brief) m = m == Mode::kBar ? Mode::kBarOnly : (m == Mode::kLines ? Mode::kQuiet : m);
  return m;
}

Progress::Progress(Mode mode, int64_t total_epochs, std::string label)
    : mode_(mode), total_epochs_(total_epochs), label_(std::move(label)) {}

Progress::~Progress() { clear_bar(); }

void Progress::clear_bar() {
  if (!bar_shown_) return;
  fmt::print("\r\033[K");
  std::fflush(stdout);
  bar_shown_ = false;
}

void Progress::print(std::string_view line) {
  if (mode_ == Mode::kQuiet) return;
  clear_bar();
  fmt::print("{}\n", line);
  std::fflush(stdout);
}

void Progress::on_step(const TrainState& s, int64_t steps_per_epoch) {
  if (mode_ != Mode::kBar && mode_ != Mode::kBarOnly) return;
  const Clock::time_point now = Clock::now();
  if (session_first_step_ < 0) {
    session_first_step_ = s.step - 1;
    session_start_ = now;
  }
  if (std::chrono::duration<double>(now - last_draw_).count() < kRedrawSeconds) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - session_start_).count();
  const int64_t done = s.step - session_first_step_;
  const int64_t left = std::max<int64_t>(0, total_epochs_ * steps_per_epoch - s.step);
  const double eta = done > 0 ? elapsed / static_cast<double>(done) * static_cast<double>(left) : 0;
  const double frac = static_cast<double>(s.step_in_epoch) / static_cast<double>(steps_per_epoch);
  const int filled = static_cast<int>(frac * kBarWidth);
  const double seen = static_cast<double>(std::max<int64_t>(s.seen, 1));
  const double ips = s.step_seconds > 0 ? static_cast<double>(s.images_seen) / s.step_seconds : 0;
  fmt::print(
      "\r\033[K{}epoch {}/{} [{}{}] {:3.0f}%  loss {:.4f}  acc {:5.1f}%  {:.0f} img/s  ETA {}",
      label_.empty() ? "" : label_ + "  ", s.epoch + 1, total_epochs_,
      std::string(static_cast<size_t>(filled), '#'),
      std::string(static_cast<size_t>(kBarWidth - filled), '.'), 100 * frac, s.loss_sum / seen,
      100.0 * static_cast<double>(s.correct) / seen, ips, format_duration(eta));
  std::fflush(stdout);
  bar_shown_ = true;
}

void Progress::on_evaluation(const EpochRecord& r) {
  if (mode_ != Mode::kBar && mode_ != Mode::kLines) return;
  print(fmt::format(
      "epoch {:>4}/{}  step {:>6}  lr {:.4g}  loss {:.4f}  acc {:6.2f}%  train {:6.2f}%  "
      "test {:6.2f}%  |g| {:.3g}  {:.0f} img/s  {:.1f}s",
      r.epoch, total_epochs_, r.step, r.lr, r.train_loss, 100 * r.train_accuracy,
      100 * r.full_train.accuracy, 100 * r.test.accuracy, r.grad_norm, r.images_per_second,
      r.seconds));
}

}  // namespace rethink
