// Ctrl-C and kill for the long commands: while an InterruptWatch lives, SIGINT and SIGTERM
// do not end the process; they set a flag the render loop checks between frames (and the
// engine between steps), so the command can finish its file with what it has and exit
// with 128 + the signal's number, as a shell reports a process the signal ended.
#pragma once

#include <atomic>

namespace amused::cli {

class InterruptWatch {
 public:
  InterruptWatch();
  ~InterruptWatch();
  InterruptWatch(const InterruptWatch &) = delete;
  InterruptWatch &operator=(const InterruptWatch &) = delete;

  // For RunControl::cancel: set once a signal arrived.
  const std::atomic<bool> *flag() const;
  bool interrupted() const { return flag()->load(); }
  int signal() const;               // the signal that arrived, or 0
  const char *signal_name() const;  // "SIGINT", "SIGTERM"
  int exit_status() const { return 128 + signal(); }
};

}  // namespace amused::cli
