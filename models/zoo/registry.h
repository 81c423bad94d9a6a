// The model zoo: every model found by name.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "models/module.h"

namespace rethink {

// What a model is built for: one image's shape, the number of classes, and the options every
// model of the zoo takes.
struct ModelInput {
  int64_t channels = 3;
  int64_t height = 28;
  int64_t width = 28;
  int64_t classes = 10;
  // Probability of a Dropout layer right before the classifier (the final Linear); 0 builds
  // none, as in the paper's CIFAR runs. It adds no parameters and renames none.
  double dropout = 0;

  // [batch, height, width, channels]: the NHWC batches the model takes.
  Shape batch_shape(int64_t batch) const { return Shape{batch, height, width, channels}; }
};

struct ModelEntry {
  std::string name;
  std::string description;
  std::function<std::shared_ptr<Module>(const ModelInput&)> build;
};

// In the order `rethink models` lists them: the paper's Table 1 order.
const std::vector<ModelEntry>& model_registry();

// Builds (uninitialized) the named model. UserError for an unknown name (listing the known
// ones) and for an input it cannot be built for (naming the flag).
std::shared_ptr<Module> make_model(std::string_view name, const ModelInput& input);

}  // namespace rethink
