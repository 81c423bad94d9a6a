#include "experiments/plots.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

extern char** environ;

namespace rethink {
namespace fs = std::filesystem;
namespace {

std::string python() {
  const char* env = std::getenv("RETHINK_PYTHON");
  return env != nullptr && *env != '\0' ? env : "/usr/bin/python3";
}

// Runs argv, its output going where ours goes; the exit status, or -1 if it could not start.
// `quiet` sends its stdout and stderr to /dev/null.
int spawn_and_wait(const std::vector<std::string>& argv, bool quiet = false) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  if (quiet) {
    ::posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    ::posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  }
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  ::posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return -1;
  int status = 0;
  if (::waitpid(pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

fs::path tools_dir() {
  const char* env = std::getenv("RETHINK_TOOLS_DIR");
  if (env != nullptr && *env != '\0') return env;
  return fs::path(RETHINK_SOURCE_TOOLS_DIR);
}

PlotResult run_plot_script(const std::string& script, const std::vector<std::string>& args) {
  const std::string py = python();
  const fs::path path = tools_dir() / script;
  const std::string by_hand =
      fmt::format("/usr/bin/python3 {} {}", path.string(), fmt::join(args, " "));
  if (::access(py.c_str(), X_OK) != 0) {
    return {false, fmt::format("plots skipped: no Python at {} (apt-get install "
                               "python3-matplotlib, then run: {})",
                               py, by_hand)};
  }
  if (!fs::exists(path)) {
    return {false, fmt::format("plots skipped: {} is missing (set RETHINK_TOOLS_DIR to the "
                               "source tree's tools/)",
                               path.string())};
  }
  if (spawn_and_wait({py, "-c", "import matplotlib"}, /*quiet=*/true) != 0) {
    return {false, fmt::format("plots skipped: matplotlib is missing for {} (apt-get install "
                               "python3-matplotlib, then run: {})",
                               py, by_hand)};
  }
  std::vector<std::string> argv = {py, path.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  const int status = spawn_and_wait(argv);
  if (status != 0) {
    return {false, fmt::format("plots failed: {} exited with status {} (run it by hand: {})",
                               script, status, by_hand)};
  }
  return {true, "plots written"};
}

}  // namespace rethink
