// How long a training stage runs and how its learning rate moves.
//
// A stage stops after `max_steps` optimizer steps or `seconds` of training time, whichever
// comes first; the learning rate warms up linearly over the first steps and then decays
// with a cosine over the stage's progress (the larger of the step and the time fraction),
// so a time-budgeted run still anneals fully by the end of its budget.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace amused::train {

struct Budget {
  int64_t max_steps = 0;  // 0 = no step limit
  double seconds = 0.0;   // 0 = no time limit

  bool limited() const { return max_steps > 0 || seconds > 0.0; }
  // Share of the budget used, in [0, 1].
  double fraction(int64_t step, double elapsed_seconds) const {
    double f = 0.0;
    if (max_steps > 0) f = std::max(f, double(step) / double(max_steps));
    if (seconds > 0.0) f = std::max(f, elapsed_seconds / seconds);
    return std::min(f, 1.0);
  }
  bool done(int64_t step, double elapsed_seconds) const {
    return fraction(step, elapsed_seconds) >= 1.0;
  }
};

struct LrSchedule {
  double peak = 1e-3;
  int64_t warmup_steps = 100;
  double final_ratio = 0.05;  // the rate at the end, as a share of the peak

  double at(int64_t step, double fraction) const {
    const double warm = warmup_steps > 0 ? std::min(1.0, double(step + 1) / warmup_steps) : 1.0;
    const double cosine = 0.5 * (1.0 + std::cos(M_PI * std::clamp(fraction, 0.0, 1.0)));
    return peak * warm * (final_ratio + (1.0 - final_ratio) * cosine);
  }
};

// What a stage reports when its budget is spent.
struct StageResult {
  int64_t steps = 0;
  double seconds = 0.0;  // training time of the whole stage (including resumed parts)
  double loss = 0.0;     // smoothed loss at the end; NaN when no step was left to run
};

}  // namespace amused::train
