// Training-time augmentation: which parts run (--augment), and the parameters one draw
// realizes. A draw is a pure function of (seed, epoch, data set index), so an epoch's
// augmentation is the same on the CPU and the GPU and after a resume, and fresh every epoch.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "kernels/batch_transform.h"

namespace rethink {

// Switches and ranges: kernels::AugmentSpec (crop, flip, brightness, contrast, rotate).
using AugmentOptions = kernels::AugmentSpec;
using AugmentDraw = kernels::ImageDraw;

// Parses --augment: "none", or a comma-separated list of crop, flip, color (brightness and
// contrast), brightness, contrast, rotate. UserError naming the bad part and the choices.
AugmentOptions parse_augment(std::string_view text);

// The canonical spelling: "none" or e.g. "crop,flip,brightness,contrast,rotate".
std::string augment_name(const AugmentOptions& options);

// The draw the loader makes for data set row `index` in `epoch` (0-based) of a run seeded
// with `seed`; its scale and shift are not yet set (they depend on the pixels).
AugmentDraw augment_draw(const AugmentOptions& options, const kernels::TransformShape& shape,
                         uint64_t seed, int64_t epoch, int64_t index);

// The Philox stream of an epoch's augmentation draws.
kernels::PhiloxStream augment_stream(uint64_t seed, int64_t epoch);

}  // namespace rethink
