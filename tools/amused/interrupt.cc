#include "interrupt.h"

#include <csignal>

namespace amused::cli {

namespace {

// A signal handler may only touch lock-free atomics: the flag and the signal's number live
// here, process-wide, as the handler requires.
std::atomic<bool> g_interrupted{false};
std::atomic<int> g_signal{0};
struct sigaction g_previous_int, g_previous_term;

void on_signal(int sig) {
  g_signal.store(sig);
  g_interrupted.store(true);
}

}  // namespace

InterruptWatch::InterruptWatch() {
  g_interrupted = false;
  g_signal = 0;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &g_previous_int);
  sigaction(SIGTERM, &action, &g_previous_term);
}

InterruptWatch::~InterruptWatch() {
  sigaction(SIGINT, &g_previous_int, nullptr);
  sigaction(SIGTERM, &g_previous_term, nullptr);
}

const std::atomic<bool> *InterruptWatch::flag() const { return &g_interrupted; }

int InterruptWatch::signal() const { return g_signal.load(); }

const char *InterruptWatch::signal_name() const {
  return signal() == SIGTERM ? "SIGTERM" : signal() == SIGINT ? "SIGINT" : "a signal";
}

}  // namespace amused::cli
