// Shared state of one scene render, passed to the drawing functions of each scene layer.
#pragma once

#include <cairo.h>

#include <cstdint>

#include "training/scene_attributes.h"
#include "training/scene_palette.h"

namespace amused::scenes {

struct Canvas {
  cairo_t *cr = nullptr;  // user space is world space: 1 unit = the image height
  SceneAttributes a;
  uint64_t seed = 0;
  double u0 = 0, u1 = 1;  // visible horizontal world range
  double px = 0;          // one pixel in world units

  // The world range to generate repeating elements for: a margin wider than the view so that
  // elements straddling the edge are drawn whole.
  double gen_u0() const { return u0 - 0.4; }
  double gen_u1() const { return u1 + 0.4; }
  // Per-scene brightness variation (+-3%) of one landscape layer, so that no two scenes of a
  // combination are pixel-identical in colour either.
  Rgb vary(const Rgb &c, int layer) const;
};

void draw_backdrop(const Canvas &c);
void draw_subject(const Canvas &c);

}  // namespace amused::scenes
