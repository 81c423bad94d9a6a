#include "experiments/commands/registry.h"

#include <fmt/format.h>

#include "runtime/build_info.h"

namespace rethink::cli {

const std::vector<CommandFactory>& command_factories() {
  static const std::vector<CommandFactory> factories = {
      add_fit_command,
      add_eval_command,
      add_figure1_command,
      add_table1_command,
      add_models_command,
      add_expressivity_command,
      add_kernel_command,
      add_rademacher_command,
      add_info_command,
  };
  return factories;
}

std::string version_line() {
  const BuildInfo& b = build_info();
  return fmt::format("rethink {} (commit {}, {}, CUDA {})", b.version, b.commit, b.build_type,
                     b.cuda ? "on" : "off");
}

}  // namespace rethink::cli
