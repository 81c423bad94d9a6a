// CLI11 validators with messages a person can act on ("must be positive, got -3"), in place of
// CLI11's numeric ranges that print the limits of a double.
#pragma once

#include <CLI/CLI.hpp>

namespace rethink::cli {

CLI::Validator positive();      // > 0
CLI::Validator non_negative();  // >= 0
CLI::Validator fraction();      // in [0, 1]

}  // namespace rethink::cli
