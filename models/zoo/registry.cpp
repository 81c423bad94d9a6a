#include "models/zoo/registry.h"

#include <fmt/format.h>

#include "models/zoo/mlp.h"

namespace rethink {
namespace {

int64_t features(const ModelInput& in) { return in.channels * in.height * in.width; }

}  // namespace

const std::vector<ModelEntry>& model_registry() {
  static const std::vector<ModelEntry> registry = {
      {"mlp1x512", "MLP with one hidden layer of 512 ReLU units (paper: 1,209,866 parameters)",
       [](const ModelInput& in) {
         return std::make_shared<Mlp>(features(in), std::vector<int64_t>{512}, in.classes);
       }},
      {"mlp3x512", "MLP with three hidden layers of 512 ReLU units (paper: 1,735,178 parameters)",
       [](const ModelInput& in) {
         return std::make_shared<Mlp>(features(in), std::vector<int64_t>{512, 512, 512},
                                      in.classes);
       }},
  };
  return registry;
}

std::shared_ptr<Module> make_model(std::string_view name, const ModelInput& input) {
  std::string known;
  for (const ModelEntry& e : model_registry()) {
    if (e.name == name) return e.build(input);
    known += known.empty() ? e.name : ", " + e.name;
  }
  throw UserError(fmt::format("--model '{}' is unknown: choose one of {} (rethink models lists "
                              "them)",
                              name, known));
}

}  // namespace rethink
