// render(): sky, stars, sun or moon, clouds and ground; the backdrop and the subject are drawn
// by scene_render_backdrop.cc and scene_render_subject.cc.
#include <cmath>

#include "training/cairo_util.h"
#include "training/scene_layout.h"
#include "training/scene_random.h"
#include "training/scene_render_internal.h"
#include "training/scenes.h"

namespace amused::scenes {

Rgb Canvas::vary(const Rgb &c, int layer) const {
  return scaled(c, 1.0 + hash_range(seed, kStreamTint, layer, 0, -0.03, 0.03));
}

namespace {

constexpr double kPi = 3.14159265358979323846;

void draw_sky(const Canvas &c) {
  PatternPtr g(cairo_pattern_create_linear(0, 0, 0, kHorizon));
  for (const GradientStop &s : sky_stops(c.a.time)) {
    add_stop(g.get(), s.v / kHorizon, c.vary(s.colour, 0));
  }
  cairo_set_source(c.cr, g.get());
  // Down to the bottom: the ground covers the rest, and no seam can show at the horizon.
  cairo_rectangle(c.cr, c.u0, 0, c.u1 - c.u0, 1);
  cairo_fill(c.cr);
}

void draw_stars(const Canvas &c) {
  // One candidate star per cell of a fixed world grid, so stars continue across a pan.
  constexpr double kCell = 0.055;
  const Rgb star = star_colour();
  for (int64_t i = int64_t(std::floor(c.gen_u0() / kCell)); i * kCell < c.gen_u1(); ++i) {
    for (int j = 0; j < 7; ++j) {
      const int64_t id = i * 16 + j;
      if (hash01(c.seed, kStreamStars, id, 0) > 0.2) continue;  // sparse: texture costs tokens
      const double u = (i + hash01(c.seed, kStreamStars, id, 1)) * kCell;
      const double v = 0.02 + (j + hash01(c.seed, kStreamStars, id, 2)) * kCell;
      const double bright = hash_range(c.seed, kStreamStars, id, 3, 0.45, 0.9);
      set_source(c.cr, mix(sky_colour(c.a.time, v), star, bright));
      cairo_arc(c.cr, u, v, std::max(0.0035, 0.6 * c.px), 0, 2 * kPi);
      cairo_fill(c.cr);
    }
  }
}

void draw_celestial(const Canvas &c) {
  const CelestialPlacement p = celestial_placement(c.a, c.seed);
  if (!p.visible) return;
  if (c.a.celestial == Celestial::kSun) {
    set_source(c.cr, sun_colour(c.a.time));
    cairo_arc(c.cr, p.u, p.v, p.radius, 0, 2 * kPi);
    cairo_fill(c.cr);
    return;
  }
  const Rgb moon = moon_colour();
  set_source(c.cr, moon);
  cairo_arc(c.cr, p.u, p.v, p.radius, 0, 2 * kPi);
  cairo_fill(c.cr);
  // Two faint maria: enough to read as a moon, too faint to change its colour class.
  set_source(c.cr, scaled(moon, 0.9));
  cairo_arc(c.cr, p.u - 0.3 * p.radius, p.v - 0.2 * p.radius, 0.3 * p.radius, 0, 2 * kPi);
  cairo_fill(c.cr);
  cairo_arc(c.cr, p.u + 0.35 * p.radius, p.v + 0.3 * p.radius, 0.22 * p.radius, 0, 2 * kPi);
  cairo_fill(c.cr);
}

void draw_clouds(const Canvas &c) {
  if (!c.a.clouds) return;
  constexpr double kSpacing = 0.25;
  const CelestialPlacement sun = celestial_placement(c.a, c.seed);
  // Clouds keep clear of the sun or moon, so that it stays visible and its colour is never
  // mixed with a cloud's.
  const bool avoid = sun.visible && sun.v - sun.radius < kCloudBottom;
  for (int64_t k = int64_t(std::floor(c.gen_u0() / kSpacing)); k * kSpacing < c.gen_u1(); ++k) {
    const double u = k * kSpacing + hash_range(c.seed, kStreamClouds, k, 0, -0.05, 0.05);
    const double w = hash_range(c.seed, kStreamClouds, k, 1, 0.15, 0.22);
    const double base = hash_range(c.seed, kStreamClouds, k, 2, 0.16, kCloudBottom - 0.005);
    if (avoid && std::abs(u - sun.u) < w / 2 + sun.radius + 0.02) continue;

    cairo_save(c.cr);
    // Flat underside: clip at the base line.
    cairo_rectangle(c.cr, u - w, kCloudTop, 2 * w, base - kCloudTop);
    cairo_clip(c.cr);
    constexpr int kPuffs = 4;
    for (int i = 0; i < kPuffs; ++i) {
      const double t = (i + 0.5) / kPuffs;
      // Bigger puffs in the middle give the classic cumulus outline.
      const double r = (0.022 + 0.022 * std::sin(kPi * t)) *
                       hash_range(c.seed, kStreamClouds, k, 10 + i, 0.85, 1.1) * (w / 0.2);
      const double x = u - w / 2 + w * t;
      cairo_new_sub_path(c.cr);
      cairo_arc(c.cr, x, base - 0.55 * r, std::min(r, (base - kCloudTop) / 1.55), 0, 2 * kPi);
    }
    cairo_rectangle(c.cr, u - w / 2 + 0.01, base - 0.02, w - 0.02, 0.02);
    PatternPtr g(cairo_pattern_create_linear(0, base - 0.07, 0, base));
    add_stop(g.get(), 0.0, cloud_colour(c.a.time));
    add_stop(g.get(), 0.6, cloud_colour(c.a.time));
    add_stop(g.get(), 1.0, cloud_shade_colour(c.a.time));
    cairo_set_source(c.cr, g.get());
    cairo_set_fill_rule(c.cr, CAIRO_FILL_RULE_WINDING);
    cairo_fill(c.cr);
    cairo_restore(c.cr);
  }
}

// A full-width horizontal band [v0, v1) of one colour.
void band(const Canvas &c, double v0, double v1, const Rgb &colour) {
  set_source(c.cr, colour);
  cairo_rectangle(c.cr, c.u0, v0, c.u1 - c.u0, v1 - v0);
  cairo_fill(c.cr);
}

// Low-contrast horizontal stripes: texture that keeps every row uniform, so the subject is
// the only thing that varies along a ground row.
void stripes(const Canvas &c, double v0, double v1, double period, const Rgb &colour) {
  for (double v = v0 + period / 2; v < v1; v += period) {
    band(c, v, std::min(v + period / 2, v1), colour);
  }
}

// Short light dashes on water: sparse, faint, on a fixed world grid.
void ripples(const Canvas &c, double v0, double v1, const Rgb &water) {
  const Rgb light = scaled(water, 1.09);
  set_source(c.cr, light);
  constexpr double kCell = 0.09;
  int row = 0;
  for (double v = v0 + 0.012; v < v1 - 0.004; v += 0.03, ++row) {
    for (int64_t i = int64_t(std::floor(c.gen_u0() / kCell)); i * kCell < c.gen_u1(); ++i) {
      const int64_t id = i * 64 + row;
      const double u = (i + hash01(c.seed, kStreamGround, id, 0)) * kCell;
      const double len = hash_range(c.seed, kStreamGround, id, 1, 0.02, 0.05) * (0.6 + v);
      cairo_rectangle(c.cr, u, v, len, 0.004);
    }
  }
  cairo_fill(c.cr);
}

// Gentle dune or drift curves.
void swells(const Canvas &c, double v0, double v1, const Rgb &colour) {
  set_source(c.cr, colour);
  const double phase = hash_range(c.seed, kStreamGround, 0, 7, 0, 2 * kPi);
  for (double v = v0 + 0.04; v < v1; v += 0.09) {
    cairo_move_to(c.cr, c.u0, v);
    for (double u = c.u0; u <= c.u1 + 0.02; u += 0.02) {
      cairo_line_to(c.cr, u, v + 0.012 * std::sin(2 * kPi * u / 0.6 + phase + 3 * v));
    }
    cairo_line_to(c.cr, c.u1 + 0.02, v + 0.025);
    cairo_line_to(c.cr, c.u0, v + 0.025);
    cairo_close_path(c.cr);
  }
  cairo_fill(c.cr);
}

void draw_ground(const Canvas &c) {
  const GroundColours g = ground_colours(c.a.ground, c.a.time);
  const Rgb far = c.vary(g.far, 1), near = c.vary(g.near, 2);
  const double split = near_band_start(c.a.ground);
  band(c, kHorizon, split, far);
  band(c, split, 1.0 + c.px, near);
  switch (c.a.ground) {
    case Ground::kField:
      stripes(c, split, 1.0, 0.07, scaled(near, 1.05));
      break;
    case Ground::kLake:
      ripples(c, kHorizon, split, far);
      // The far shore, so a lake does not read as the open sea.
      band(c, kHorizon, kHorizon + 0.008, c.vary(lit({80, 130, 66}, c.a.time), 3));
      stripes(c, split, 1.0, 0.07, scaled(near, 1.05));
      break;
    case Ground::kBeach:
      ripples(c, kHorizon, split, far);
      band(c, split - 0.004, split + 0.006, mix(far, {250, 250, 250}, 0.55));  // surf
      break;
    case Ground::kSea:
      ripples(c, kHorizon, 1.0, near);
      break;
    case Ground::kDesert:
    case Ground::kSnow:
      swells(c, split, 1.0, scaled(near, 0.96));
      break;
    case Ground::kRoad: {
      stripes(c, kHorizon, split, 0.05, scaled(far, 0.96));
      const Rgb line = road_line_colour(c.a.time);
      band(c, split + 0.012, split + 0.019, line);
      band(c, 0.978, 0.985, line);
      break;
    }
  }
}

}  // namespace

Image render(const SceneAttributes &attributes, uint64_t seed, int width, int height,
             double pan_offset) {
  SurfacePtr surface = make_surface(width, height);
  CairoPtr cr = make_context(surface.get());

  Canvas c;
  c.cr = cr.get();
  c.a = attributes.normalized();
  c.seed = seed;
  const double h = height;
  c.u0 = 0.5 - width / (2.0 * h) + pan_offset / h;
  c.u1 = c.u0 + width / h;
  c.px = 1.0 / h;
  cairo_scale(c.cr, h, h);
  cairo_translate(c.cr, -c.u0, 0);

  draw_sky(c);
  if (c.a.time == TimeOfDay::kNight) draw_stars(c);
  draw_celestial(c);
  draw_clouds(c);
  draw_backdrop(c);
  draw_ground(c);
  draw_subject(c);
  return surface_to_image(surface.get());
}

}  // namespace amused::scenes
