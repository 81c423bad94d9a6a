#include "experiments/validators.h"

#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <string>

namespace rethink::cli {
namespace {

CLI::Validator number_check(const std::string& name, const std::string& requirement,
                            std::function<bool(double)> ok) {
  return CLI::Validator(
      [requirement, ok](std::string& text) -> std::string {
        double value = 0;
        size_t used = 0;
        try {
          value = std::stod(text, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != text.size() || text.empty() || !std::isfinite(value)) {
          return fmt::format("must be a number, got '{}'", text);
        }
        return ok(value) ? std::string() : fmt::format("must be {}, got {}", requirement, text);
      },
      requirement, name);
}

}  // namespace

CLI::Validator positive() {
  return number_check("POSITIVE", "positive", [](double v) { return v > 0; });
}

CLI::Validator non_negative() {
  return number_check("NON_NEGATIVE", "zero or more", [](double v) { return v >= 0; });
}

CLI::Validator fraction() {
  return number_check("FRACTION", "between 0 and 1", [](double v) { return v >= 0 && v <= 1; });
}

}  // namespace rethink::cli
