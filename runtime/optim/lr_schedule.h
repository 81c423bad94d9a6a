// Learning-rate schedules, as staircases over images seen.
//
// A decay "per epoch" counts epochs of the FULL training set's size in images (for
// synthetic:N that is N), so a run on a subset decays no faster per image seen than the full
// run; `images_per_decay` is that epoch size unless the user overrides it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rethink {

enum class LrScheduleKind {
  kConstant,     // lr = base
  kExponential,  // lr = base * decay^floor(epochs)                (the paper: 0.95 per epoch)
  kStep,         // lr = base * decay^floor(epochs / step_epochs)  (e.g. 0.1 every 150 epochs)
};

struct LrSchedule {
  LrScheduleKind kind = LrScheduleKind::kExponential;
  double base_lr = 0.01;
  double decay = 0.95;
  int64_t images_per_decay = 0;  // images in one full-size epoch (must be positive)
  int64_t step_epochs = 1;       // kStep only

  double lr_at(int64_t images_seen) const;
  // Throws UserError naming the bad setting.
  void validate() const;
};

LrScheduleKind parse_lr_schedule_kind(std::string_view name);  // UserError if unknown
std::string_view lr_schedule_kind_name(LrScheduleKind kind);

}  // namespace rethink
