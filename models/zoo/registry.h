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

// What a model is built for: one image's shape and the number of classes.
struct ModelInput {
  int64_t channels = 3;
  int64_t height = 28;
  int64_t width = 28;
  int64_t classes = 10;
};

struct ModelEntry {
  std::string name;
  std::string description;
  std::function<std::shared_ptr<Module>(const ModelInput&)> build;
};

const std::vector<ModelEntry>& model_registry();

// Builds (uninitialized) the named model; UserError listing the known names otherwise.
std::shared_ptr<Module> make_model(std::string_view name, const ModelInput& input);

}  // namespace rethink
