#include "experiments/paper_numbers.h"

#include <array>

namespace rethink::paper {
namespace {

constexpr std::array<Table1Row, 19> kTable1 = {{
    {"inception", true, true, false, 100.0, 89.05},
    {"inception", true, false, false, 100.0, 89.31},
    {"inception", false, true, false, 100.0, 86.03},
    {"inception", false, false, false, 100.0, 85.75},
    {"inception", false, false, true, 100.0, 9.78},
    {"inception-nobn", false, true, false, 100.0, 83.00},
    {"inception-nobn", false, false, false, 100.0, 82.00},
    {"inception-nobn", false, false, true, 100.0, 10.12},
    {"alexnet", true, true, false, 99.90, 81.22},
    {"alexnet", true, false, false, 99.82, 79.66},
    {"alexnet", false, true, false, 100.0, 77.36},
    {"alexnet", false, false, false, 100.0, 76.07},
    {"alexnet", false, false, true, 99.82, 9.86},
    {"mlp3x512", false, true, false, 100.0, 53.35},
    {"mlp3x512", false, false, false, 100.0, 52.39},
    {"mlp3x512", false, false, true, 100.0, 10.48},
    {"mlp1x512", false, true, false, 99.80, 50.39},
    {"mlp1x512", false, false, false, 100.0, 50.51},
    {"mlp1x512", false, false, true, 99.34, 10.61},
}};

constexpr std::array<Table4Row, 6> kTable4 = {{
    {"inception", "weight-decay", "100%"},
    {"alexnet", "weight-decay", "Failed to converge"},
    {"mlp3x512", "weight-decay", "100%"},
    {"mlp1x512", "weight-decay", "99.21%"},
    {"inception", "random-crop", "99.93%"},
    {"inception", "augmentation", "99.28%"},
}};

constexpr std::array<Figure1cEndpoints, 3> kFigure1c = {{
    {"inception", 14.25, 90.22},
    {"alexnet", 23.93, 90.14},
    {"mlp1x512", 49.49, 89.39},
}};

struct ConditionSteps {
  std::string_view condition;
  double steps;
};
constexpr std::array<ConditionSteps, 5> kFigure1a = {{
    {"true-labels", 5700},
    {"shuffled-pixels", 6700},
    {"gaussian", 9900},
    {"random-pixels", 13000},
    {"random-labels", 17700},
}};

}  // namespace

std::span<const Table1Row> table1() { return kTable1; }

std::optional<Table1Row> table1_row(std::string_view model, bool crop, bool weight_decay,
                                    bool random_labels) {
  for (const Table1Row& r : table1()) {
    if (r.model == model && r.crop == crop && r.weight_decay == weight_decay &&
        r.random_labels == random_labels) {
      return r;
    }
  }
  return std::nullopt;
}

std::span<const Table4Row> table4() { return kTable4; }

std::optional<Table4Row> table4_row(std::string_view model, std::string_view regularizer) {
  for (const Table4Row& r : kTable4) {
    if (r.model == model && r.regularizer == regularizer) return r;
  }
  return std::nullopt;
}

std::optional<Figure1cEndpoints> figure1c_endpoints(std::string_view model) {
  for (const Figure1cEndpoints& e : kFigure1c) {
    if (e.model == model) return e;
  }
  return std::nullopt;
}

std::optional<double> figure1a_reproduction_steps(std::string_view condition) {
  for (const ConditionSteps& c : kFigure1a) {
    if (c.condition == condition) return c.steps;
  }
  return std::nullopt;
}

std::string_view model_title(std::string_view model) {
  if (model == "inception") return "Inception";
  if (model == "inception-nobn") return "Inception w/o BatchNorm";
  if (model == "alexnet") return "AlexNet";
  if (model == "mlp3x512") return "MLP 3x512";
  if (model == "mlp1x512") return "MLP 1x512";
  return model;
}

}  // namespace rethink::paper
