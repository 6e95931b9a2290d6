// The backdrop on the horizon: mountains, hills, trees, a city skyline or houses.
//
// Each is generated from fixed world-space slots hashed with the seed, so a panorama of any
// width shows the same skyline continued to the sides, and the central frame never changes.
#include <algorithm>
#include <cmath>
#include <vector>

#include "training/cairo_util.h"
#include "training/scene_layout.h"
#include "training/scene_random.h"
#include "training/scene_render_internal.h"

namespace amused::scenes {

namespace {

constexpr double kPi = 3.14159265358979323846;
// Backdrops reach a little below the horizon so no sky shows through the seam with the ground.
constexpr double kFoot = kHorizon + 0.01;

struct Point {
  double u, v;
};

// Range of slot indices whose slot (spacing apart) can touch the generated range.
struct SlotRange {
  int64_t first, last;
};
SlotRange slots(const Canvas &c, double spacing) {
  return {int64_t(std::floor(c.gen_u0() / spacing)), int64_t(std::ceil(c.gen_u1() / spacing))};
}

void draw_mountains(const Canvas &c, const std::vector<Rgb> &colours) {
  constexpr double kSpacing = 0.3;
  const SlotRange r = slots(c, kSpacing);
  // Ridge line alternating peaks and valleys.
  std::vector<Point> peaks, ridge;
  for (int64_t k = r.first; k <= r.last; ++k) {
    const Point peak{k * kSpacing + hash_range(c.seed, kStreamMountains, k, 0, -0.07, 0.07),
                     hash_range(c.seed, kStreamMountains, k, 1, kBackdropTop + 0.02, 0.34)};
    const Point valley{
        (k + 0.5) * kSpacing + hash_range(c.seed, kStreamMountains, k, 2, -0.04, 0.04),
        hash_range(c.seed, kStreamMountains, k, 3, 0.38, 0.44)};
    peaks.push_back(peak);
    ridge.push_back(peak);
    ridge.push_back(valley);
  }
  cairo_move_to(c.cr, ridge.front().u, kFoot);
  for (const Point &p : ridge) cairo_line_to(c.cr, p.u, p.v);
  cairo_line_to(c.cr, ridge.back().u, kFoot);
  cairo_close_path(c.cr);
  PatternPtr g(cairo_pattern_create_linear(0, kBackdropTop, 0, kHorizon));
  add_stop(g.get(), 0.0, colours[0]);
  add_stop(g.get(), 1.0, scaled(colours[0], 0.9));
  cairo_set_source(c.cr, g.get());
  cairo_fill(c.cr);

  // Snow caps: the top of each peak down to a jagged line.
  set_source(c.cr, colours[1]);
  for (size_t i = 0; i < peaks.size(); ++i) {
    const Point p = ridge[2 * i];
    const Point right = ridge[2 * i + 1];
    const Point left = i > 0 ? ridge[2 * i - 1] : Point{p.u - 0.15, 0.42};
    const double depth = 0.045;
    auto along = [&](const Point &to) {
      const double f = depth / (to.v - p.v);
      return Point{p.u + (to.u - p.u) * f, p.v + depth};
    };
    const Point l = along(left), rr = along(right);
    cairo_move_to(c.cr, p.u, p.v);
    cairo_line_to(c.cr, rr.u, rr.v);
    cairo_line_to(c.cr, p.u + 0.3 * (rr.u - p.u), p.v + 0.65 * depth);
    cairo_line_to(c.cr, p.u, p.v + 0.95 * depth);
    cairo_line_to(c.cr, p.u + 0.35 * (l.u - p.u), p.v + 0.6 * depth);
    cairo_line_to(c.cr, l.u, l.v);
    cairo_close_path(c.cr);
  }
  cairo_fill(c.cr);
}

// A smooth hill line from a few sinusoids with seeded phases.
void hill_line(const Canvas &c, double mid, double amp1, double amp2, int layer) {
  const double p1 = hash_range(c.seed, kStreamHills, layer, 0, 0, 2 * kPi);
  const double p2 = hash_range(c.seed, kStreamHills, layer, 1, 0, 2 * kPi);
  const double step = 0.01;
  const double a = std::floor(c.gen_u0() / step) * step;
  cairo_move_to(c.cr, a, kFoot);
  for (double u = a; u <= c.gen_u1(); u += step) {
    cairo_line_to(
        c.cr, u,
        mid + amp1 * std::sin(2 * kPi * u / 0.9 + p1) + amp2 * std::sin(2 * kPi * u / 0.37 + p2));
  }
  cairo_line_to(c.cr, c.gen_u1(), kFoot);
  cairo_close_path(c.cr);
}

void draw_hills(const Canvas &c, const std::vector<Rgb> &colours) {
  set_source(c.cr, colours[0]);
  hill_line(c, 0.405, 0.03, 0.013, 0);
  cairo_fill(c.cr);
  set_source(c.cr, colours[1]);
  hill_line(c, 0.455, 0.018, 0.01, 1);
  cairo_fill(c.cr);
}

void draw_trees(const Canvas &c, const std::vector<Rgb> &colours) {
  // A dark wood line with conifers standing out of it.
  set_source(c.cr, colours[0]);
  cairo_rectangle(c.cr, c.u0, 0.465, c.u1 - c.u0, kFoot - 0.465);
  cairo_fill(c.cr);
  constexpr double kSpacing = 0.032;
  const SlotRange r = slots(c, kSpacing);
  for (int64_t k = r.first; k <= r.last; ++k) {
    const double u = k * kSpacing + hash_range(c.seed, kStreamTrees, k, 0, -0.008, 0.008);
    const double h = hash_range(c.seed, kStreamTrees, k, 1, 0.06, 0.11);
    const double w = hash_range(c.seed, kStreamTrees, k, 2, 0.042, 0.055);
    const double foot = 0.485;
    set_source(c.cr, colours[hash01(c.seed, kStreamTrees, k, 3) < 0.5 ? 0 : 1]);
    // Two stacked triangles: a fir.
    cairo_move_to(c.cr, u, foot - h);
    cairo_line_to(c.cr, u + 0.35 * w, foot - 0.45 * h);
    cairo_line_to(c.cr, u + 0.5 * w, foot);
    cairo_line_to(c.cr, u - 0.5 * w, foot);
    cairo_line_to(c.cr, u - 0.35 * w, foot - 0.45 * h);
    cairo_close_path(c.cr);
    cairo_fill(c.cr);
  }
}

void draw_city(const Canvas &c, const std::vector<Rgb> &colours) {
  // Back row: taller, darker towers; front row: lower blocks with window grids.
  struct Row {
    double spacing, top_lo, top_hi;
    int colour;
    int64_t stream_offset;
  };
  const Row rows[] = {{0.09, kBackdropTop + 0.01, 0.32, 1, 0}, {0.075, 0.31, 0.42, 0, 1000000}};
  const Rgb window = colours[2];
  for (const Row &row : rows) {
    const SlotRange r = slots(c, row.spacing);
    for (int64_t k = r.first; k <= r.last; ++k) {
      const int64_t id = k + row.stream_offset;
      // Widths overlap the next slot, so there are no slits of sky between buildings.
      const double left = k * row.spacing + hash_range(c.seed, kStreamCity, id, 0, -0.012, 0.0);
      const double w = row.spacing + hash_range(c.seed, kStreamCity, id, 1, 0.0, 0.012);
      const double top = hash_range(c.seed, kStreamCity, id, 2, row.top_lo, row.top_hi);
      set_source(c.cr,
                 scaled(colours[row.colour], hash_range(c.seed, kStreamCity, id, 3, 0.94, 1.04)));
      cairo_rectangle(c.cr, left, top, w, kFoot - top);
      cairo_fill(c.cr);
      // Windows on a regular grid; at night some are dark.
      // Coarse enough (~4 px pitch at 128 px) to read as windows rather than noise.
      constexpr double kCol = 0.03, kRowPitch = 0.034;
      for (double y = top + 0.014; y + 0.016 < kHorizon; y += kRowPitch) {
        for (double x = left + 0.01; x + 0.016 < left + w; x += kCol) {
          const int64_t wid =
              id * 4096 + int64_t((y - top) / kRowPitch) * 64 + int64_t((x - left) / kCol);
          if (c.a.time == TimeOfDay::kNight && hash01(c.seed, kStreamCity, wid, 9) < 0.35) continue;
          set_source(c.cr, window);
          cairo_rectangle(c.cr, x, y, 0.013, 0.015);
          cairo_fill(c.cr);
        }
      }
    }
  }
}

void draw_houses(const Canvas &c, const std::vector<Rgb> &colours) {
  // Houses are large (about 2x2 tokens of a 16x16 grid at 128 px) so they survive the coarse
  // token grid as houses rather than as specks.
  constexpr double kSpacing = 0.17;
  const SlotRange r = slots(c, kSpacing);
  const Rgb wall = colours[0], roof = colours[1];
  for (int64_t k = r.first; k <= r.last; ++k) {
    const double u = k * kSpacing + hash_range(c.seed, kStreamHouses, k, 0, -0.015, 0.015);
    const double w = hash_range(c.seed, kStreamHouses, k, 1, 0.11, 0.13);
    const double wall_h = hash_range(c.seed, kStreamHouses, k, 2, 0.065, 0.08);
    const double roof_h = hash_range(c.seed, kStreamHouses, k, 3, 0.045, 0.055);
    const double eaves = kFoot - wall_h;
    set_source(c.cr, wall);
    cairo_rectangle(c.cr, u - w / 2, eaves, w, wall_h);
    cairo_fill(c.cr);
    set_source(c.cr, roof);
    cairo_move_to(c.cr, u - w / 2 - 0.01, eaves + 0.002);
    cairo_line_to(c.cr, u, eaves - roof_h);
    cairo_line_to(c.cr, u + w / 2 + 0.01, eaves + 0.002);
    cairo_close_path(c.cr);
    cairo_fill(c.cr);
    // Door and window in the roof colour, darkened: small details, not a new colour class.
    set_source(c.cr, scaled(roof, 0.7));
    cairo_rectangle(c.cr, u - 0.3 * w, kFoot - 0.035, 0.018, 0.035);
    cairo_rectangle(c.cr, u + 0.08 * w, eaves + 0.014, 0.022, 0.018);
    cairo_fill(c.cr);
  }
}

}  // namespace

void draw_backdrop(const Canvas &c) {
  std::vector<Rgb> colours = backdrop_colours(c.a.backdrop, c.a.time);
  for (size_t i = 0; i < colours.size(); ++i) colours[i] = c.vary(colours[i], 4);
  switch (c.a.backdrop) {
    case Backdrop::kNone:
      break;
    case Backdrop::kMountains:
      draw_mountains(c, colours);
      break;
    case Backdrop::kHills:
      draw_hills(c, colours);
      break;
    case Backdrop::kTrees:
      draw_trees(c, colours);
      break;
    case Backdrop::kCity:
      draw_city(c, colours);
      break;
    case Backdrop::kHouses:
      draw_houses(c, colours);
      break;
  }
}

}  // namespace amused::scenes
