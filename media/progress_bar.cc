#include "progress_bar.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

namespace amused::media {
namespace {

constexpr double kRedrawInterval = 0.1;  // seconds between in-place redraws
constexpr int kMinBar = 10;              // narrower than this, the bar is dropped

std::string printf_string(const char *fmt, double a) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, a);
  return buf;
}

std::string format_rate(int64_t current, double elapsed, const std::string &unit) {
  if (current <= 0 || elapsed <= 0.0) return "? " + unit + "/s";
  const double rate = current / elapsed;
  if (rate >= 1.0) return printf_string(rate >= 100 ? "%.0f" : "%.2f", rate) + " " + unit + "/s";
  return printf_string("%.2f", 1.0 / rate) + " s/" + unit;
}

int terminal_width(std::FILE *stream) {
  winsize ws{};
  if (ioctl(fileno(stream), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

}  // namespace

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  }
  return buf;
}

std::string format_progress(const std::string &label, int64_t current, int64_t total,
                            double elapsed, const std::string &unit, int width) {
  const std::string rate = format_rate(current, elapsed, unit);
  if (total <= 0) {
    return label + " " + std::to_string(current) + "  " + format_duration(elapsed) + "  " + rate;
  }
  const double fraction = std::clamp(static_cast<double>(current) / total, 0.0, 1.0);
  std::string eta = "?";
  if (current >= total) {
    eta = "0:00";
  } else if (current > 0 && elapsed > 0) {
    eta = format_duration(elapsed / current * (total - current));
  }
  const std::string head = label + " " + printf_string("%3.0f", std::floor(fraction * 100)) + "% ";
  const std::string tail = " " + std::to_string(current) + "/" + std::to_string(total) + "  " +
                           format_duration(elapsed) + "<" + eta + "  " + rate;
  const int bar = width - static_cast<int>(head.size() + tail.size()) - 2;
  if (bar < kMinBar) return head + tail.substr(1);
  const int filled = static_cast<int>(fraction * bar);
  std::string cells(bar, ' ');
  std::fill(cells.begin(), cells.begin() + filled, '=');
  if (filled < bar && current > 0) cells[filled] = '>';
  return head + "[" + cells + "]" + tail;
}

ProgressBar::ProgressBar(std::string label, int64_t total, ProgressBarOptions options)
    : label_(std::move(label)), total_(total), options_(std::move(options)) {
  interactive_ =
      options_.interactive >= 0 ? options_.interactive != 0 : isatty(fileno(options_.stream)) != 0;
  width_ =
      options_.width > 0 ? options_.width : (interactive_ ? terminal_width(options_.stream) : 80);
  // Keep the last column free: writing into it makes some terminals wrap before the '\r'.
  if (interactive_) width_ = std::max(1, width_ - 1);
  start_ = now();
  if (interactive_) draw(false);
}

ProgressBar::~ProgressBar() { finish(); }

double ProgressBar::now() const {
  if (options_.clock) return options_.clock();
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

void ProgressBar::update(int64_t current) {
  if (finished_) return;
  current_ = current;
  const double t = now();
  if (interactive_) {
    if (t - last_draw_ >= kRedrawInterval || (total_ > 0 && current_ >= total_)) draw(false);
    return;
  }
  // Sparse mode: a line per completed tenth (per 10 items when the total is unknown).
  const int decile = total_ > 0 ? static_cast<int>(std::min<int64_t>(current_ * 10 / total_, 10))
                                : static_cast<int>(current_ / 10);
  if (decile > last_decile_) {
    last_decile_ = decile;
    draw(false);
  }
}

void ProgressBar::finish() {
  if (finished_) return;
  finished_ = true;
  draw(true);
}

void ProgressBar::draw(bool final_line) {
  const double t = now();
  last_draw_ = t;
  const std::string line =
      format_progress(label_, current_, total_, t - start_, options_.unit, width_);
  if (interactive_) {
    // Pad so a shorter line fully overwrites the previous one.
    std::fprintf(options_.stream, "\r%-*s%s", width_, line.c_str(), final_line ? "\n" : "");
  } else if (!final_line || last_decile_ < 10 || total_ <= 0) {
    std::fprintf(options_.stream, "%s\n", line.c_str());
  }
  std::fflush(options_.stream);
}

}  // namespace amused::media
