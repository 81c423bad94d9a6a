// The parts of a run's config.json that describe what the data became: the randomization as
// realized, the preprocessing and the augmentation. Written for a person reading the run later.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

#include "datasets/augment.h"
#include "datasets/dataset.h"
#include "datasets/randomize.h"
#include "kernels/batch_transform.h"

namespace rethink {

nlohmann::json dataset_json(const Dataset& data);
nlohmann::json randomize_json(const RandomizeReport& r, const Dataset& data);
nlohmann::json preprocess_json(const Dataset& data, const kernels::TransformShape& shape);
nlohmann::json augment_json(const AugmentOptions& a, uint64_t seed);

}  // namespace rethink
