#include "training/train_progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "media/progress_bar.h"

namespace amused::train {

namespace {
constexpr double kRedrawSeconds = 0.5;
}

TrainProgress::TrainProgress(std::string label, double log_seconds, std::FILE *stream)
    : label_(std::move(label)), log_seconds_(log_seconds), stream_(stream) {
  interactive_ = stream_ && isatty(fileno(stream_)) != 0;
  width_ = 100;
  winsize ws{};
  if (interactive_ && ioctl(fileno(stream_), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
    width_ = ws.ws_col - 1;
}

TrainProgress::~TrainProgress() { finish(); }

void TrainProgress::update(int64_t step, double fraction, double elapsed,
                           const std::string &metrics) {
  if (finished_ || !stream_) return;
  if (first_step_ < 0) {
    first_step_ = step;
    first_elapsed_ = elapsed;
  }
  step_ = step;
  fraction_ = fraction;
  elapsed_ = elapsed;
  metrics_ = metrics;
  const double interval = interactive_ ? kRedrawSeconds : log_seconds_;
  // The first line comes early so a slow run shows its rate at once.
  if (!drawn_ || elapsed - last_draw_ >= interval) draw(false);
}

void TrainProgress::finish() {
  if (finished_) return;
  finished_ = true;
  if (stream_ && first_step_ >= 0) draw(true);
}

void TrainProgress::draw(bool final_line) {
  last_draw_ = elapsed_;
  drawn_ = true;
  const double f = std::clamp(fraction_, 1e-9, 1.0);
  const int64_t total = final_line ? step_ : std::max<int64_t>(step_, std::llround(step_ / f));
  // The rate covers this run's own steps (a resumed run starts mid-way).
  const std::string tail = metrics_.empty() ? "" : "  " + metrics_;
  const int bar_width = std::max(40, width_ - static_cast<int>(tail.size()));
  std::string line = media::format_progress(label_, step_ - first_step_, total - first_step_,
                                            elapsed_ - first_elapsed_, "step", bar_width);
  // format_progress counts from zero; show the absolute step numbers of the stage.
  if (first_step_ > 0) line += "  (from step " + std::to_string(first_step_) + ")";
  line += tail;
  if (interactive_)
    std::fprintf(stream_, "\r%-*s%s", width_, line.c_str(), final_line ? "\n" : "");
  else
    std::fprintf(stream_, "%s\n", line.c_str());
  std::fflush(stream_);
}

}  // namespace amused::train
