// Geometry of the procedural scenes, shared by the renderer and the checker.
//
// Coordinates are in units of the image height: v = 0 is the top, v = 1 the bottom, u runs
// to the right. The central frame is u in [0, 1]; wider renders and pans show more of the
// same world. The layout is in horizontal layers so each attribute has its own region:
//   v in [0.08, 0.2)   clouds; day sun and moon
//   v in [0.24, 0.5)   backdrop (mountains, skyline ...); the low sunset sun
//   v in [0.5, 1]      ground (far band, near band) and the subject
#pragma once

#include <cstdint>

#include "training/scene_attributes.h"

namespace amused::scenes {

inline constexpr double kHorizon = 0.5;
// Clouds stay inside [kCloudTop, kCloudBottom]; backdrops never rise above kBackdropTop, so the
// checker can look for clouds without seeing a mountain top.
inline constexpr double kCloudTop = 0.06;
inline constexpr double kCloudBottom = 0.2;
inline constexpr double kBackdropTop = 0.24;
// The subject stands on the ground with its bottom here; it never rises above the horizon.
inline constexpr double kSubjectBase = 0.95;
// Horizontal centre of the subject for left / center / right (before a small jitter).
inline constexpr double kPositionU[kNumPositions] = {0.27, 0.5, 0.73};
inline constexpr double kPositionJitter = 0.025;
// The larger of the subject's width and height for small / large (before jitter).
inline constexpr double kSizeExtent[kNumSizes] = {0.24, 0.42};
inline constexpr double kSizeJitter = 0.04;  // relative

// Where the near band of the ground starts (the far band is [kHorizon, this)).
double near_band_start(Ground g);

// Where the sun or moon is drawn (a disc), from the seed.
struct CelestialPlacement {
  bool visible = false;
  double u = 0, v = 0, radius = 0;
};
CelestialPlacement celestial_placement(const SceneAttributes &a, uint64_t seed);

// The subject's bounding box: centre u, bottom kSubjectBase, width x height.
struct SubjectPlacement {
  bool visible = false;
  double u = 0;
  double width = 0, height = 0;
};
SubjectPlacement subject_placement(const SceneAttributes &a, uint64_t seed);

}  // namespace amused::scenes
