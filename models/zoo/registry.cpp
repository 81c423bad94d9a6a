#include "models/zoo/registry.h"

#include <fmt/format.h>

#include "models/zoo/alexnet.h"
#include "models/zoo/inception.h"
#include "models/zoo/mlp.h"

namespace rethink {
namespace {

int64_t features(const ModelInput& in) { return in.channels * in.height * in.width; }

// The flags these come from are checked by the CLI too; this covers every other caller.
void check_input(const ModelInput& in) {
  if (in.channels < 1 || in.height < 1 || in.width < 1) {
    throw UserError(fmt::format("--input {},{},{}: channels, height and width must be positive",
                                in.channels, in.height, in.width));
  }
  if (in.classes < 2) {
    throw UserError(fmt::format("--classes {}: a classifier needs at least 2 classes", in.classes));
  }
  if (!(in.dropout >= 0 && in.dropout < 1)) {
    throw UserError(
        fmt::format("--dropout {}: the probability of dropping an activation must be "
                    "in [0, 1) (0: no dropout)",
                    in.dropout));
  }
}

}  // namespace

const std::vector<ModelEntry>& model_registry() {
  static const std::vector<ModelEntry> registry = {
      {"inception",
       "Small Inception, conv -> batch norm (beta only) -> ReLU (paper: 1,649,402 parameters)",
       [](const ModelInput& in) {
         return std::make_shared<Inception>(in.channels, in.height, in.width, in.classes,
                                            /*batch_norm=*/true, in.dropout);
       }},
      {"inception-nobn",
       "Small Inception without batch norm, conv with bias -> ReLU (paper: "
       "1,649,402 parameters)",
       [](const ModelInput& in) {
         return std::make_shared<Inception>(in.channels, in.height, in.width, in.classes,
                                            /*batch_norm=*/false, in.dropout);
       }},
      {"alexnet",
       "Small AlexNet, two conv5x5 -> max-pool -> LRN modules, FC 384, 192 (paper: 1,387,786 "
       "parameters)",
       [](const ModelInput& in) {
         return std::make_shared<AlexNet>(in.channels, in.height, in.width, in.classes, in.dropout);
       }},
      {"mlp1x512", "MLP with one hidden layer of 512 ReLU units (paper: 1,209,866 parameters)",
       [](const ModelInput& in) {
         return std::make_shared<Mlp>(features(in), std::vector<int64_t>{512}, in.classes,
                                      in.dropout);
       }},
      {"mlp3x512", "MLP with three hidden layers of 512 ReLU units (paper: 1,735,178 parameters)",
       [](const ModelInput& in) {
         return std::make_shared<Mlp>(features(in), std::vector<int64_t>{512, 512, 512}, in.classes,
                                      in.dropout);
       }},
  };
  return registry;
}

std::shared_ptr<Module> make_model(std::string_view name, const ModelInput& input) {
  std::string known;
  for (const ModelEntry& e : model_registry()) {
    if (e.name == name) {
      check_input(input);
      return e.build(input);
    }
    known += known.empty() ? e.name : fmt::format(", {}", e.name);
  }
  throw UserError(
      fmt::format("--model '{}' is unknown: choose one of {} (rethink models lists "
                  "them)",
                  name, known));
}

}  // namespace rethink
