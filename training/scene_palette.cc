#include "training/scene_palette.h"

#include <cmath>

namespace amused::scenes {

double distance(const Rgb &a, const Rgb &b) {
  const double dr = a.r - b.r, dg = a.g - b.g, db = a.b - b.b;
  return std::sqrt(dr * dr + dg * dg + db * db);
}

Rgb mix(const Rgb &a, const Rgb &b, double t) {
  return {a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t};
}

Rgb scaled(const Rgb &a, double f) { return {a.r * f, a.g * f, a.b * f}; }

std::vector<GradientStop> sky_stops(TimeOfDay t) {
  switch (t) {
    case TimeOfDay::kDay:
      return {{0.0, {62, 122, 212}}, {kHorizon, {172, 208, 240}}};
    case TimeOfDay::kSunset:
      return {{0.0, {52, 42, 110}}, {0.22, {160, 80, 135}}, {kHorizon, {250, 168, 90}}};
    case TimeOfDay::kNight:
      return {{0.0, {6, 9, 28}}, {kHorizon, {34, 52, 110}}};  // a glow at the horizon
  }
  return {};
}

Rgb sky_colour(TimeOfDay t, double v) {
  const std::vector<GradientStop> stops = sky_stops(t);
  if (v <= stops.front().v) return stops.front().colour;
  for (size_t i = 1; i < stops.size(); ++i) {
    if (v <= stops[i].v) {
      const double f = (v - stops[i - 1].v) / (stops[i].v - stops[i - 1].v);
      return mix(stops[i - 1].colour, stops[i].colour, f);
    }
  }
  return stops.back().colour;
}

Rgb lit(const Rgb &base, TimeOfDay t) {
  // Sunset light is warm and dimmer; night is moonlight: dim and blue, but bright enough that
  // hues stay apart (a model cannot learn what it cannot see).
  switch (t) {
    case TimeOfDay::kDay:
      return base;
    case TimeOfDay::kSunset:
      return {base.r * 1.0, base.g * 0.8, base.b * 0.72};
    case TimeOfDay::kNight:
      return {base.r * 0.52, base.g * 0.58, base.b * 0.8};
  }
  return base;
}

namespace {
constexpr Rgb kGrassFar{105, 168, 78};
constexpr Rgb kGrassNear{82, 148, 58};
constexpr Rgb kWaterFar{58, 120, 188};
constexpr Rgb kWaterNear{42, 98, 172};
constexpr Rgb kSand{230, 210, 158};
constexpr Rgb kDesert{224, 166, 98};
constexpr Rgb kSnowFar{236, 240, 248};
constexpr Rgb kSnowNear{228, 234, 246};
constexpr Rgb kRoad{88, 88, 94};
}  // namespace

GroundColours ground_colours(Ground g, TimeOfDay t) {
  GroundColours c;
  switch (g) {
    case Ground::kField:
      c = {kGrassFar, kGrassNear};
      break;
    case Ground::kLake:
      c = {kWaterFar, kGrassNear};
      break;
    case Ground::kBeach:
      c = {kWaterFar, kSand};
      break;
    case Ground::kSea:
      c = {kWaterFar, kWaterNear};
      break;
    case Ground::kDesert:
      c = {kDesert, kDesert};
      break;
    case Ground::kSnow:
      c = {kSnowFar, kSnowNear};
      break;
    case Ground::kRoad:
      c = {kGrassFar, kRoad};
      break;
  }
  return {lit(c.far, t), lit(c.near, t)};
}

Rgb road_line_colour(TimeOfDay t) { return lit({235, 235, 225}, t); }

std::vector<Rgb> backdrop_colours(Backdrop b, TimeOfDay t) {
  std::vector<Rgb> base;
  switch (b) {
    case Backdrop::kNone:
      return {};
    case Backdrop::kMountains:
      base = {{110, 100, 185}, {232, 236, 250}};  // blue-violet body, snow caps
      break;
    case Backdrop::kHills:
      base = {{150, 190, 88}, {128, 172, 76}};
      break;
    case Backdrop::kTrees:
      base = {{30, 92, 50}, {40, 104, 56}};
      break;
    case Backdrop::kCity:
      base = {{150, 146, 142}, {126, 122, 122}};
      break;
    case Backdrop::kHouses:
      base = {{245, 225, 170}, {178, 62, 46}};  // cream walls, red roofs
      break;
  }
  std::vector<Rgb> out;
  for (const Rgb &c : base) out.push_back(lit(c, t));
  if (b == Backdrop::kCity) {
    // Windows are not lit by the sky: dark by day and at sunset, lamps at night.
    switch (t) {
      case TimeOfDay::kDay:
        out.push_back({62, 72, 92});
        break;
      case TimeOfDay::kSunset:
        out.push_back({64, 52, 76});
        break;
      case TimeOfDay::kNight:
        out.push_back({255, 214, 110});
        break;
    }
  }
  return out;
}

Rgb cloud_colour(TimeOfDay t) {
  switch (t) {
    case TimeOfDay::kDay:
      return {250, 250, 252};
    case TimeOfDay::kSunset:
      return {246, 170, 160};
    case TimeOfDay::kNight:
      return {70, 76, 108};
  }
  return {};
}

Rgb cloud_shade_colour(TimeOfDay t) {
  switch (t) {
    case TimeOfDay::kDay:
      return {222, 226, 236};
    case TimeOfDay::kSunset:
      return {214, 132, 148};
    case TimeOfDay::kNight:
      return {54, 60, 90};
  }
  return {};
}

Rgb sun_colour(TimeOfDay t) {
  return t == TimeOfDay::kSunset ? Rgb{255, 206, 96} : Rgb{255, 236, 120};
}

Rgb moon_colour() { return {236, 234, 214}; }
Rgb star_colour() { return {200, 205, 222}; }

Rgb subject_colour(Colour c) {
  switch (c) {
    case Colour::kRed:
      return {215, 35, 35};
    case Colour::kOrange:
      return {250, 140, 25};
    case Colour::kYellow:
      return {250, 225, 45};
    case Colour::kGreen:
      return {40, 170, 65};
    case Colour::kBlue:
      return {35, 85, 215};
    case Colour::kPurple:
      return {140, 55, 185};
    case Colour::kWhite:
      return {245, 245, 245};
    case Colour::kBlack:
      return {30, 30, 35};
  }
  return {};
}

}  // namespace amused::scenes
