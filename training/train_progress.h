// A progress line for training loops: media's bar and ETA plus the running loss.
//
//   vq   42% [=========>              ] 1234/2938  10:05<13:58  2.04 step/s  loss 0.0061
//
// On a terminal the line is redrawn in place; in a log it is printed every `log_seconds`,
// so an hour-long run leaves a readable log. A null stream prints nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace amused::train {

// Seconds of steady-clock time since `t` (the stages' time budgets and checkpoints).
inline double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

class TrainProgress {
 public:
  TrainProgress(std::string label, double log_seconds = 30.0, std::FILE *stream = stderr);
  ~TrainProgress();  // calls finish()
  TrainProgress(const TrainProgress &) = delete;
  TrainProgress &operator=(const TrainProgress &) = delete;

  // `fraction` is the share of the stage's budget (steps or time) used so far; the total is
  // extrapolated from it. `metrics` is appended as is ("loss 0.123 acc 0.45").
  void update(int64_t step, double fraction, double elapsed_seconds, const std::string &metrics);
  void finish();

 private:
  void draw(bool final_line);

  std::string label_;
  double log_seconds_;
  std::FILE *stream_;
  bool interactive_;
  int width_;
  double last_draw_ = -1e9;
  std::chrono::steady_clock::time_point last_clock_;
  int64_t step_ = 0;
  int64_t first_step_ = -1;  // a resumed run's rate counts only its own steps
  double first_elapsed_ = 0;
  double fraction_ = 0;
  double elapsed_ = 0;
  std::string metrics_;
  bool finished_ = false;
  bool drawn_ = false;
};

}  // namespace amused::train
