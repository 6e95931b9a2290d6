// The foreground subject: a bottle, box, ball or car, lit like a product shot.
//
// Shading is deliberately mild (a few percent lighter on the left, darker on the right) and
// details in other colours (wheels, windows, the cap) stay small, so the body colour is the
// clear majority of the subject's pixels.
#include <algorithm>
#include <cmath>

#include "training/cairo_util.h"
#include "training/scene_layout.h"
#include "training/scene_render_internal.h"

namespace amused::scenes {

namespace {

constexpr double kPi = 3.14159265358979323846;
const Rgb kWhite{255, 255, 255};

// A lighter shade that keeps dark colours dark: mixing black with white would give the grey
// of a road, and the face would vanish into it.
Rgb lighter(const Rgb &c) {
  auto f = [](double v) { return std::min(255.0, v * 1.08 + 12.0); };
  return {f(c.r), f(c.g), f(c.b)};
}

// Horizontal body shading across [left, right].
PatternPtr body_shading(const Rgb &c, double left, double right) {
  PatternPtr g(cairo_pattern_create_linear(left, 0, right, 0));
  add_stop(g.get(), 0.0, lighter(c));
  add_stop(g.get(), 0.45, c);
  add_stop(g.get(), 1.0, scaled(c, 0.9));
  return g;
}

void rounded_rect(cairo_t *cr, double x, double y, double w, double h, double r) {
  cairo_new_sub_path(cr);
  cairo_arc(cr, x + w - r, y + r, r, -kPi / 2, 0);
  cairo_arc(cr, x + w - r, y + h - r, r, 0, kPi / 2);
  cairo_arc(cr, x + r, y + h - r, r, kPi / 2, kPi);
  cairo_arc(cr, x + r, y + r, r, kPi, 3 * kPi / 2);
  cairo_close_path(cr);
}

void draw_bottle(cairo_t *cr, const SubjectPlacement &p, const Rgb &c) {
  const double w = p.width, h = p.height, base = kSubjectBase;
  const double left = p.u - w / 2;
  const double shoulder = base - 0.62 * h;
  const double neck_w = 0.42 * w, neck_top = base - 0.9 * h;
  // Body, shoulders and neck as one outline.
  cairo_move_to(cr, left, base - 0.04 * h);
  cairo_line_to(cr, left, shoulder);
  cairo_curve_to(cr, left, shoulder - 0.12 * h, p.u - neck_w / 2, shoulder - 0.08 * h,
                 p.u - neck_w / 2, shoulder - 0.16 * h);
  cairo_line_to(cr, p.u - neck_w / 2, neck_top);
  cairo_line_to(cr, p.u + neck_w / 2, neck_top);
  cairo_line_to(cr, p.u + neck_w / 2, shoulder - 0.16 * h);
  cairo_curve_to(cr, p.u + neck_w / 2, shoulder - 0.08 * h, left + w, shoulder - 0.12 * h, left + w,
                 shoulder);
  cairo_line_to(cr, left + w, base - 0.04 * h);
  cairo_curve_to(cr, left + w, base, left + w, base, left + w - 0.04 * h, base);
  cairo_line_to(cr, left + 0.04 * h, base);
  cairo_curve_to(cr, left, base, left, base, left, base - 0.04 * h);
  cairo_close_path(cr);
  PatternPtr g = body_shading(c, left, left + w);
  cairo_set_source(cr, g.get());
  cairo_fill(cr);
  // Cap, a darker shade of the body.
  set_source(cr, scaled(c, 0.78));
  rounded_rect(cr, p.u - 0.26 * w, base - h, 0.52 * w, 0.1 * h + 0.004, 0.02 * h);
  cairo_fill(cr);
}

void draw_box(cairo_t *cr, const SubjectPlacement &p, const Rgb &c) {
  // A cube seen slightly from above and the left: front face, lighter top, darker side. The
  // silhouette still fills ~97% of its bounding box, which is what tells a box from a ball.
  const double dx = 0.2 * p.width, dy = 0.12 * p.width;
  const double left = p.u - p.width / 2, front_w = p.width - dx;
  const double top = kSubjectBase - p.height, front_top = top + dy;
  PatternPtr g = body_shading(c, left, left + front_w);
  cairo_set_source(cr, g.get());
  cairo_rectangle(cr, left, front_top, front_w, kSubjectBase - front_top);
  cairo_fill(cr);
  set_source(cr, lighter(c));
  cairo_move_to(cr, left, front_top);
  cairo_line_to(cr, left + dx, top);
  cairo_line_to(cr, left + p.width, top);
  cairo_line_to(cr, left + front_w, front_top);
  cairo_close_path(cr);
  cairo_fill(cr);
  set_source(cr, scaled(c, 0.86));
  cairo_move_to(cr, left + front_w, front_top);
  cairo_line_to(cr, left + p.width, top);
  cairo_line_to(cr, left + p.width, kSubjectBase - dy);
  cairo_line_to(cr, left + front_w, kSubjectBase);
  cairo_close_path(cr);
  cairo_fill(cr);
}

void draw_ball(cairo_t *cr, const SubjectPlacement &p, const Rgb &c) {
  const double r = p.width / 2, cy = kSubjectBase - r;
  PatternPtr g(cairo_pattern_create_radial(p.u - 0.35 * r, cy - 0.35 * r, 0.05 * r, p.u, cy, r));
  add_stop(g.get(), 0.0, mix(c, kWhite, 0.3));
  add_stop(g.get(), 0.35, c);
  add_stop(g.get(), 1.0, scaled(c, 0.88));
  cairo_set_source(cr, g.get());
  cairo_arc(cr, p.u, cy, r, 0, 2 * kPi);
  cairo_fill(cr);
}

void draw_car(cairo_t *cr, const SubjectPlacement &p, const Rgb &c) {
  const double w = p.width, base = kSubjectBase;
  const double wheel_r = 0.1 * w;
  const double body_bottom = base - 0.6 * wheel_r;
  const double body_top = base - 0.3 * w;
  const double roof = base - p.height;
  const double left = p.u - w / 2;
  PatternPtr g = body_shading(c, left, left + w);
  cairo_set_source(cr, g.get());
  // Cabin (a trapezoid) and the lower body.
  cairo_move_to(cr, left + 0.2 * w, body_top + 0.01);
  cairo_line_to(cr, left + 0.33 * w, roof);
  cairo_line_to(cr, left + 0.71 * w, roof);
  cairo_line_to(cr, left + 0.84 * w, body_top + 0.01);
  cairo_close_path(cr);
  rounded_rect(cr, left, body_top, w, body_bottom - body_top, 0.05 * w);
  cairo_fill(cr);
  // Side windows: inset, so the body colour stays the clear majority even on a small car.
  set_source(cr, {185, 205, 225});
  const double wt = roof + 0.045 * w, wb = body_top - 0.03 * w;
  const double slope = (0.33 - 0.2) / (body_top - roof) * w;  // cabin pillar slant per unit v
  cairo_move_to(cr, left + 0.29 * w + slope * (body_top - wb), wb);
  cairo_line_to(cr, left + 0.29 * w + slope * (body_top - wt), wt);
  cairo_line_to(cr, left + 0.49 * w, wt);
  cairo_line_to(cr, left + 0.49 * w, wb);
  cairo_close_path(cr);
  cairo_move_to(cr, left + 0.54 * w, wb);
  cairo_line_to(cr, left + 0.54 * w, wt);
  cairo_line_to(cr, left + 0.75 * w - slope * (body_top - wt), wt);
  cairo_line_to(cr, left + 0.75 * w - slope * (body_top - wb), wb);
  cairo_close_path(cr);
  cairo_fill(cr);
  // Wheels with grey hubs.
  for (double f : {0.22, 0.78}) {
    set_source(cr, {34, 34, 38});
    cairo_arc(cr, left + f * w, base - wheel_r, wheel_r, 0, 2 * kPi);
    cairo_fill(cr);
    set_source(cr, {150, 150, 156});
    cairo_arc(cr, left + f * w, base - wheel_r, 0.4 * wheel_r, 0, 2 * kPi);
    cairo_fill(cr);
  }
}

}  // namespace

void draw_subject(const Canvas &c) {
  const SubjectPlacement p = subject_placement(c.a, c.seed);
  if (!p.visible) return;
  const Rgb colour = subject_colour(c.a.colour);
  switch (c.a.subject) {
    case SubjectKind::kNone:
      break;
    case SubjectKind::kBottle:
      draw_bottle(c.cr, p, colour);
      break;
    case SubjectKind::kBox:
      draw_box(c.cr, p, colour);
      break;
    case SubjectKind::kBall:
      draw_ball(c.cr, p, colour);
      break;
    case SubjectKind::kCar:
      draw_car(c.cr, p, colour);
      break;
  }
}

}  // namespace amused::scenes
