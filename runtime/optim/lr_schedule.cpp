#include "runtime/optim/lr_schedule.h"

#include <fmt/format.h>

#include <cmath>

#include "kernels/check.h"

namespace rethink {

double LrSchedule::lr_at(int64_t images_seen) const {
  RT_CHECK(images_per_decay > 0 && step_epochs > 0,
           "learning-rate schedule with images_per_decay {} and step_epochs {}: both must be "
           "positive (LrSchedule::validate() says which flag)",
           images_per_decay, step_epochs);
  const int64_t epochs = images_seen / images_per_decay;  // whole full-size epochs: a staircase
  switch (kind) {
    case LrScheduleKind::kConstant:
      return base_lr;
    case LrScheduleKind::kExponential:
      return base_lr * std::pow(decay, double(epochs));
    case LrScheduleKind::kStep:
      return base_lr * std::pow(decay, double(epochs / step_epochs));
  }
  return base_lr;
}

void LrSchedule::validate() const {
  if (!(base_lr > 0) || !std::isfinite(base_lr)) {
    throw UserError(fmt::format("--lr {} must be a positive number", base_lr));
  }
  if (!(decay > 0 && decay <= 1)) {
    throw UserError(fmt::format("--lr-decay {} must be in (0, 1]", decay));
  }
  if (images_per_decay <= 0) {
    throw UserError(fmt::format("--lr-decay-images {} must be positive", images_per_decay));
  }
  if (step_epochs <= 0) {
    throw UserError(fmt::format("--lr-step-epochs {} must be positive", step_epochs));
  }
}

LrScheduleKind parse_lr_schedule_kind(std::string_view name) {
  if (name == "constant") return LrScheduleKind::kConstant;
  if (name == "exponential") return LrScheduleKind::kExponential;
  if (name == "step") return LrScheduleKind::kStep;
  throw UserError(
      fmt::format("--lr-schedule '{}' is unknown: use constant, exponential or step", name));
}

std::string_view lr_schedule_kind_name(LrScheduleKind kind) {
  switch (kind) {
    case LrScheduleKind::kConstant:
      return "constant";
    case LrScheduleKind::kExponential:
      return "exponential";
    case LrScheduleKind::kStep:
      return "step";
  }
  return "?";
}

}  // namespace rethink
