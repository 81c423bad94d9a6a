// rethink models: the zoo, with each model's parameter count for a given input.
#include <fmt/format.h>

#include <memory>

#include "experiments/commands/registry.h"
#include "experiments/validators.h"
#include "experiments/format.h"
#include "experiments/parse.h"
#include "models/zoo/registry.h"

namespace rethink::cli {
namespace {

struct ModelsOptions {
  std::string input = "3,28,28";
  int64_t classes = 10;
};

int run_models(const ModelsOptions& opts) {
  const ImageShape shape = parse_image_shape(opts.input, "--input");
  const ModelInput input{shape.channels, shape.height, shape.width, opts.classes};
  fmt::print("{:<12} {:>12}  {}\n", "model", "parameters", "description");
  for (const ModelEntry& e : model_registry()) {
    const auto model = e.build(input);
    fmt::print("{:<12} {:>12}  {}\n", e.name, with_thousands(model->parameter_count()),
               e.description);
  }
  fmt::print("(input {}x{}x{}, {} classes)\n", input.channels, input.height, input.width,
             input.classes);
  return kExitOk;
}

}  // namespace

Command add_models_command(CLI::App& app) {
  auto opts = std::make_shared<ModelsOptions>();
  CLI::App* sub = app.add_subcommand("models", "List the model zoo with parameter counts");
  sub->add_option("--input", opts->input, "Image shape C,H,W")->capture_default_str();
  sub->add_option("--classes", opts->classes, "Number of classes")
      ->check(CLI::Range(int64_t{2}, int64_t{1} << 20))
      ->capture_default_str();
  return {sub, [opts] { return run_models(*opts); }};
}

}  // namespace rethink::cli
