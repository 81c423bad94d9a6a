#include "experiments/interrupt.h"

#include <atomic>
#include <csignal>

namespace rethink {
namespace {

std::atomic<int> g_signal{0};
struct sigaction g_previous_int;
struct sigaction g_previous_term;

void on_signal(int sig) {
  if (g_signal.exchange(sig) != 0) {
    // Second request: give up at once with the conventional status.
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
}

}  // namespace

InterruptScope::InterruptScope() {
  g_signal = 0;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &g_previous_int);
  sigaction(SIGTERM, &action, &g_previous_term);
}

InterruptScope::~InterruptScope() {
  sigaction(SIGINT, &g_previous_int, nullptr);
  sigaction(SIGTERM, &g_previous_term, nullptr);
  g_signal = 0;  // the request was for this scope's work
}

bool InterruptScope::requested() { return g_signal.load() != 0; }
int InterruptScope::signal_number() { return g_signal.load(); }

}  // namespace rethink
