// Ctrl-C and SIGTERM ask a run to stop at the end of the current step, so that what it has
// done is written out. A second Ctrl-C stops the process at once.
#pragma once

namespace rethink {

class InterruptScope {
 public:
  InterruptScope();   // installs the handlers
  ~InterruptScope();  // restores the previous ones
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

  static bool requested();
  static int signal_number();  // which signal asked, 0 if none
};

}  // namespace rethink
