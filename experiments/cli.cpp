#include "experiments/cli.h"

#include <fmt/format.h>

#include <new>
#include <string>
#include <vector>

#include "experiments/commands/registry.h"
#include "kernels/check.h"

namespace rethink::cli {
namespace {

std::string g_invocation;

std::string quoted(const std::string& arg) {
  if (!arg.empty() && arg.find_first_of(" \t'\"$\\;&|<>()*?") == std::string::npos) return arg;
  std::string out = "'";
  for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// CLI11's messages name the flag; add where to read about it.
std::string help_hint(const CLI::App& app) {
  const std::vector<CLI::App*> chosen = app.get_subcommands();
  if (chosen.empty()) return "run 'rethink --help' for the commands";
  return fmt::format("run 'rethink {} --help' for its options", chosen.front()->get_name());
}

}  // namespace

const std::string& invocation() { return g_invocation; }

int run(int argc, char** argv) {
  g_invocation.clear();
  for (int i = 0; i < argc; ++i) {
    g_invocation += (i > 0 ? " " : "") + quoted(i == 0 ? std::string("rethink") : argv[i]);
  }
  CLI::App app{
      "rethink: reproduce and measure Zhang et al., \"Understanding deep learning "
      "requires rethinking generalization\" (ICLR 2017)",
      "rethink"};
  app.require_subcommand(1);
  // A flag given twice takes its last value, so scripts can append overrides to defaults.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.set_version_flag("--version", [] { return version_line(); });
  app.footer("Exit status: 0 success, 1 failure, 2 bad usage or input, 130 interrupted.");

  std::vector<Command> commands;
  for (const CommandFactory factory : command_factories()) commands.push_back(factory(app));

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "rethink: error: {}; {}\n", e.what(), help_hint(app));
    return kExitUsage;
  }

  try {
    for (const Command& command : commands) {
      if (command.app->parsed()) return command.run();
    }
    return kExitUsage;  // require_subcommand(1) makes this unreachable
  } catch (const UserError& e) {
    fmt::print(stderr, "rethink: error: {}\n", e.what());
    return kExitUsage;
  } catch (const Error& e) {
    fmt::print(stderr, "rethink: failed: {}\n", e.what());
    return kExitFailure;
  } catch (const std::bad_alloc&) {
    fmt::print(stderr, "rethink: failed: out of memory: lower --batch or use a smaller data set\n");
    return kExitFailure;
  } catch (const std::exception& e) {
    fmt::print(stderr, "rethink: failed: {}\n", e.what());
    return kExitFailure;
  }
}

}  // namespace rethink::cli
