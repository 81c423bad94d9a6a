// rethink models: the zoo for a given input, each model's parameter count (summed from its
// tensors), forward multiply-adds and activation memory per image; with --model NAME
// --summary, that model's layers one by one.
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "experiments/commands/registry.h"
#include "experiments/format.h"
#include "experiments/parse.h"
#include "experiments/validators.h"
#include "models/module.h"
#include "models/zoo/registry.h"

namespace rethink::cli {
namespace {

struct ModelsOptions {
  std::string input = "3,28,28";
  int64_t classes = 10;
  double dropout = 0;
  std::string model;  // empty: every model
  bool summary = false;
};

// What one forward of one image costs a model.
struct ModelCost {
  int64_t parameters = 0;
  int64_t macs = 0;
  int64_t activation_bytes = 0;  // every layer's output, float32
  std::vector<LayerSummary> layers;
};

// "1.41 MiB": binary units, three significant digits or so.
std::string human_bytes(int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(units)) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.2f} {}", value, units[unit]);
}

// An image's shape without the batch: "28x28x96" (NHWC) or "[336]".
std::string image_shape(const Shape& s) {
  if (s.rank() == 4) return fmt::format("{}x{}x{}", s[1], s[2], s[3]);
  if (s.rank() == 2) return fmt::format("[{}]", s[1]);
  return s.to_string();
}

std::string input_text(const ModelInput& in) {
  return fmt::format("{},{},{}", in.channels, in.height, in.width);
}

// Runs one image through `model`. A model that cannot take the input is a UserError naming
// the layer where it runs out (the caller adds the flag).
ModelCost measure(Module& model, const ModelInput& input) {
  ModelCost cost;
  cost.layers = summarize(model, input.batch_shape(1));
  cost.parameters = model.parameter_count();
  for (const LayerSummary& row : cost.layers) {
    cost.macs += row.macs;
    cost.activation_bytes += row.output_shape.numel() * static_cast<int64_t>(sizeof(float));
  }
  return cost;
}

void print_summary(const ModelEntry& entry, const ModelInput& input, const ModelCost& cost) {
  fmt::print("{}: {}\n", entry.name, entry.description);
  fmt::print("input {}x{}x{} (NHWC, one image), {} classes\n\n", input.height, input.width,
             input.channels, input.classes);
  size_t name_width = std::string_view("layer").size();
  size_t type_width = std::string_view("type").size();
  for (const LayerSummary& row : cost.layers) {
    name_width = std::max(name_width, row.name.size());
    type_width = std::max(type_width, row.type.size());
  }
  const auto line = [&](std::string_view name, std::string_view type, std::string_view output,
                        std::string_view params, std::string_view macs) {
    fmt::print("{:<{}}  {:<{}}  {:>12}  {:>12}  {:>14}\n", name, name_width, type, type_width,
               output, params, macs);
  };
  line("layer", "type", "output", "parameters", "multiply-adds");
  int64_t listed = 0;
  for (const LayerSummary& row : cost.layers) {
    line(row.name.empty() ? "(model)" : row.name, row.type, image_shape(row.output_shape),
         row.parameters == 0 ? "-" : with_thousands(row.parameters),
         row.macs == 0 ? "-" : with_thousands(row.macs));
    listed += row.parameters;
  }
  line("total", "", "", with_thousands(cost.parameters), with_thousands(cost.macs));
  // Every parameter belongs to a layer that runs; a mismatch would be a model bug worth seeing.
  if (listed != cost.parameters) {
    fmt::print("(the layers that ran hold {} of the model's {} parameters)\n",
               with_thousands(listed), with_thousands(cost.parameters));
  }
  fmt::print("\nactivations per image: {} (every layer's float32 output)\n",
             human_bytes(cost.activation_bytes));
}

int run_models(const ModelsOptions& opts) {
  const ImageShape shape = parse_image_shape(opts.input, "--input");
  const ModelInput input{shape.channels, shape.height, shape.width, opts.classes, opts.dropout};

  if (opts.summary && opts.model.empty()) {
    throw UserError("--summary prints one model's layers: name it with --model NAME");
  }
  if (!opts.model.empty()) {
    // An unknown name or a bad flag is refused here, naming it.
    const std::shared_ptr<Module> model = make_model(opts.model, input);
    const auto& registry = model_registry();
    const ModelEntry& entry =
        *std::find_if(registry.begin(), registry.end(),
                      [&](const ModelEntry& e) { return e.name == opts.model; });
    ModelCost cost;
    try {
      cost = measure(*model, input);
    } catch (const UserError& e) {
      throw UserError(fmt::format("--input {}: {} cannot take {}x{} images: {}", input_text(input),
                                  entry.name, input.height, input.width, e.what()));
    }
    if (opts.summary) {
      print_summary(entry, input, cost);
      return kExitOk;
    }
  }

  struct Row {
    const ModelEntry* entry;
    std::optional<ModelCost> cost;
    std::string refused;  // why the model cannot take the input
  };
  std::vector<Row> rows;
  size_t name_width = std::string_view("model").size();
  for (const ModelEntry& e : model_registry()) {
    if (!opts.model.empty() && e.name != opts.model) continue;
    Row row{&e, std::nullopt, {}};
    const std::shared_ptr<Module> model = make_model(e.name, input);  // bad flags throw here
    try {
      row.cost = measure(*model, input);
    } catch (const UserError& err) {
      row.refused = err.what();
    }
    name_width = std::max(name_width, e.name.size());
    rows.push_back(std::move(row));
  }

  fmt::print("{:<{}}  {:>12}  {:>14}  {:>11}  {}\n", "model", name_width, "parameters",
             "multiply-adds", "activations", "description");
  for (const Row& row : rows) {
    if (row.cost) {
      fmt::print("{:<{}}  {:>12}  {:>14}  {:>11}  {}\n", row.entry->name, name_width,
                 with_thousands(row.cost->parameters), with_thousands(row.cost->macs),
                 human_bytes(row.cost->activation_bytes), row.entry->description);
    } else {
      fmt::print("{:<{}}  {:>12}  {:>14}  {:>11}  cannot take {}x{} images: {}\n", row.entry->name,
                 name_width, "-", "-", "-", input.height, input.width, row.refused);
    }
  }
  fmt::print(
      "(input {}x{}x{} NHWC, {} classes{}; per image: multiply-adds of one forward, activations "
      "= every layer's float32 output; `rethink models --model NAME --summary` lists the "
      "layers)\n",
      input.height, input.width, input.channels, input.classes,
      input.dropout > 0 ? fmt::format(", dropout {}", input.dropout) : std::string());
  return kExitOk;
}

}  // namespace

Command add_models_command(CLI::App& app) {
  auto opts = std::make_shared<ModelsOptions>();
  CLI::App* sub = app.add_subcommand(
      "models", "List the model zoo: parameters, multiply-adds and activation memory per image");
  sub->add_option("--input", opts->input, "Image shape C,H,W")->capture_default_str();
  sub->add_option("--classes", opts->classes, "Number of classes")
      ->check(CLI::Range(int64_t{2}, int64_t{1} << 20))
      ->capture_default_str();
  sub->add_option("--dropout", opts->dropout,
                  "Dropout probability before each model's classifier (0: none)")
      ->check(fraction())
      ->capture_default_str();
  sub->add_option("--model", opts->model, "Only this model (see the list)");
  sub->add_flag("--summary", opts->summary,
                "Print --model's layers: output shapes, parameters "
                "and multiply-adds per image");
  return {sub, [opts] { return run_models(*opts); }};
}

}  // namespace rethink::cli
