// Every `rethink` subcommand, in one place. A new subcommand is a file in this folder that
// defines an add_<name>_command factory, plus one line in registry.cpp.
#pragma once

#include <string>
#include <vector>

#include "experiments/cli.h"

namespace rethink::cli {

Command add_info_command(CLI::App& app);
Command add_fit_command(CLI::App& app);
Command add_models_command(CLI::App& app);
Command add_eval_command(CLI::App& app);
Command add_figure1_command(CLI::App& app);
Command add_table1_command(CLI::App& app);
Command add_expressivity_command(CLI::App& app);
Command add_kernel_command(CLI::App& app);
Command add_rademacher_command(CLI::App& app);

// In the order `rethink --help` lists them.
const std::vector<CommandFactory>& command_factories();

// "rethink 0.1.0 (commit abc123, Release, CUDA on)"
std::string version_line();

}  // namespace rethink::cli
