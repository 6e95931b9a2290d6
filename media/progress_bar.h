// A terminal progress bar for the command-line tool.
//
//   amused::media::ProgressBar bar("frames", 24, {"frame"});
//   for (...) { render(); bar.advance(); }
//   bar.finish();
//
// On a terminal it redraws one line in place with '\r' (at most every 100 ms):
//   frames  50% [==========>          ] 12/24  0:14<0:14  1.2 s/frame
// Otherwise (a log file, CI) it prints a full line for the first item (so a slow run shows
// its rate early), at every 10% and at the end, so logs stay short. Rates below one per second are
// shown as seconds per item: model steps take seconds each.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>

namespace amused::media {

struct ProgressBarOptions {
  std::string unit = "it";          // "frame", "step": used in the rate
  std::FILE *stream = stderr;       // where the bar is drawn
  int interactive = -1;             // 1 = redraw with '\r', 0 = sparse lines, -1 = isatty(stream)
  int width = 0;                    // line width; 0 = the terminal's, or 80
  std::function<double()> clock{};  // seconds, monotonic; empty = steady_clock (tests inject)
};

// One rendered line without '\r' or newline; `total` 0 means unknown (no bar, no ETA).
std::string format_progress(const std::string &label, int64_t current, int64_t total,
                            double elapsed_seconds, const std::string &unit, int width);

// "m:ss" or "h:mm:ss".
std::string format_duration(double seconds);

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total, ProgressBarOptions options = {});
  ~ProgressBar();  // calls finish()
  ProgressBar(const ProgressBar &) = delete;
  ProgressBar &operator=(const ProgressBar &) = delete;

  void update(int64_t current);
  void advance(int64_t n = 1) { update(current_ + n); }
  // Draws the final state and ends the line; later calls do nothing.
  void finish();

 private:
  double now() const;
  void draw(bool final_line);

  std::string label_;
  int64_t total_;
  ProgressBarOptions options_;
  bool interactive_;
  int width_;
  double start_;
  double last_draw_ = -1.0;
  int64_t current_ = 0;
  int last_decile_ = -1;
  bool finished_ = false;
};

}  // namespace amused::media
