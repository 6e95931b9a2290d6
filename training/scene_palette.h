// Colours of the procedural scenes, shared by the renderer and the checker.
//
// The checker classifies pixels against these very colours, so the two can never drift apart.
// Colours are chosen to be far apart where the checker must tell them apart (see the
// palette separation test), and the subject keeps its own colour at every time of day (a
// lit product), so "red" means the same pixels in a day, sunset or night scene.
#pragma once

#include <vector>

#include "training/scene_attributes.h"
#include "training/scene_layout.h"

namespace amused::scenes {

// Linear 0..255 RGB in doubles.
struct Rgb {
  double r = 0, g = 0, b = 0;
};

double distance(const Rgb &a, const Rgb &b);
Rgb mix(const Rgb &a, const Rgb &b, double t);  // (1 - t) * a + t * b
Rgb scaled(const Rgb &a, double f);

// ---- Colours ----
// Sky colour at height v (0 <= v <= kHorizon): a smooth vertical gradient.
Rgb sky_colour(TimeOfDay t, double v);
struct GradientStop {
  double v;
  Rgb colour;
};
std::vector<GradientStop> sky_stops(TimeOfDay t);

// Landscape colours are "lit": multiplied by the light of the time of day.
Rgb lit(const Rgb &base, TimeOfDay t);

struct GroundColours {
  Rgb far;
  Rgb near;
};
GroundColours ground_colours(Ground g, TimeOfDay t);  // already lit
Rgb road_line_colour(TimeOfDay t);

// The colours that cover most of a backdrop's area, lit for the time of day. Index 0 is the
// main body colour the renderer fills with.
std::vector<Rgb> backdrop_colours(Backdrop b, TimeOfDay t);

Rgb cloud_colour(TimeOfDay t);
Rgb cloud_shade_colour(TimeOfDay t);  // the flat underside of a cloud
Rgb sun_colour(TimeOfDay t);          // day and sunset
Rgb moon_colour();
Rgb star_colour();

// The subject's body colour; it does not change with the time of day.
Rgb subject_colour(Colour c);

// Minimum RGB distance between the subject colour and both ground bands for a combination to
// be generated: below it the subject would blend into the ground.
inline constexpr double kMinSubjectContrast = 75.0;

}  // namespace amused::scenes
