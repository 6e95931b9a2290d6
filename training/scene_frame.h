// Internal to the checker: a floating-point view of the image region the scene layout
// describes, shared by the measurement files.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "amused.h"
#include "training/scene_checker.h"
#include "training/scene_palette.h"

namespace amused::scenes {

// The central square of an image (the whole image when it is square), as RGB doubles minus a
// global colour cast that measure_time() estimates from the sky.
class Frame {
 public:
  explicit Frame(const Image &img);
  int side() const { return side_; }  // the image height: one unit of the layout
  int x_begin() const { return xb_; }
  int x_end() const { return xe_; }
  int row(double v) const { return std::clamp(int(std::lround(v * side_)), 0, side_); }
  double u(double x) const { return (x + 0.5 - x0_) / side_; }
  double v(int y) const { return (y + 0.5) / side_; }
  Rgb at(int x, int y) const {
    const uint8_t *p = img_.pixels.data() + (size_t(y) * img_.width + x) * 3;
    return {p[0] - cast_.r, p[1] - cast_.g, p[2] - cast_.b};
  }
  void set_cast(const Rgb &c) { cast_ = c; }

  // Per-channel median of row y over the columns outside [skip0, skip1).
  Rgb row_median(int y, int skip0 = 0, int skip1 = 0) const;
  // Mean of the row medians over rows [v0, v1).
  Rgb band_colour(double v0, double v1, int skip0 = 0, int skip1 = 0) const;

 private:
  const Image &img_;
  int side_;
  int x0_, xb_, xe_;
  Rgb cast_;
};

// The measurement steps, in the order measure_scene() runs them.
void measure_time(Frame &f, SceneMeasurements &m);  // also sets the frame's colour cast
void measure_above_horizon(const Frame &f, SceneMeasurements &m);
void measure_subject_and_ground(const Frame &f, SceneMeasurements &m);

}  // namespace amused::scenes
