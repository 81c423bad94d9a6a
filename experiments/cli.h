// The `rethink` command line: one CLI11 app, subcommands registered in one place
// (experiments/commands/registry.cpp), and one mapping from failures to exit statuses.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace rethink::cli {

// Exit statuses of `rethink`.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;        // an internal failure, or a run that failed
inline constexpr int kExitUsage = 2;          // a bad flag, value, file or setting
inline constexpr int kExitInterrupted = 130;  // stopped by Ctrl-C / SIGTERM (128 + SIGINT)

// What a subcommand runs once its flags are parsed; returns the exit status.
using CommandRunner = std::function<int()>;

struct Command {
  CLI::App* app;  // the subcommand, owned by the parent app
  CommandRunner run;
};

// Adds one subcommand (its flags bound to options the runner owns) to `app`.
using CommandFactory = Command (*)(CLI::App& app);

// The command line this process was started with, quoted where needed (reports record it).
const std::string& invocation();

// main's whole body: parses argv, runs the chosen subcommand, and turns every failure into
// one message on stderr and an exit status (never a stack dump or an abort).
int run(int argc, char** argv);

}  // namespace rethink::cli
