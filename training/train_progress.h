// A progress line for training loops: media's bar and ETA plus the running loss.
//
//   vq   42% [=========>              ] 1234/2938  10:05<13:58  2.04 step/s  loss 0.0061
//
// On a terminal the line is redrawn in place; in a log it is printed every `log_seconds`,
// so an hour-long run leaves a readable log. A null stream prints nothing.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

namespace amused::train {

// Seconds of steady-clock time since `t` (the stages' time budgets and checkpoints).
inline double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// A running mean that follows the recent steps: each new value weighs 1 - `keep`; the
// first one starts it (NaN until then).
inline void smooth(double &average, double value, double keep) {
  average = std::isnan(average) ? value : keep * average + (1.0 - keep) * value;
}

// "loss L psnr P dB lr R": the progress metrics of the stages that reconstruct pictures.
inline std::string reconstruction_metrics(double loss, double mse, double lr) {
  char text[96];
  std::snprintf(text, sizeof text, "loss %.4f psnr %.1f dB lr %.1e", loss,
                -10.0 * std::log10(mse > 1e-10 ? mse : 1e-10), lr);
  return text;
}

// Sets every parameter group's learning rate; `Options` is the optimizer's options type
// (torch::optim::AdamOptions, AdamWOptions).
template <typename Options, typename Optimizer>
void set_learning_rate(Optimizer &optimizer, double lr) {
  for (auto &group : optimizer.param_groups()) static_cast<Options &>(group.options()).lr(lr);
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
