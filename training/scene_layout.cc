#include "training/scene_layout.h"

#include "training/scene_random.h"

namespace amused::scenes {

double near_band_start(Ground g) {
  switch (g) {
    case Ground::kLake:
    case Ground::kBeach:
      return 0.6;
    case Ground::kRoad:
      return 0.66;  // a strip of verge between the horizon and the road
    default:
      return 0.58;
  }
}

CelestialPlacement celestial_placement(const SceneAttributes &a, uint64_t seed) {
  CelestialPlacement p;
  if (a.celestial == Celestial::kNone) return p;
  p.visible = true;
  p.u = hash_range(seed, kStreamCelestial, 0, 0, 0.18, 0.82);
  if (a.celestial == Celestial::kSun && a.time == TimeOfDay::kSunset) {
    // A large low sun, its lower part behind the backdrop.
    p.v = hash_range(seed, kStreamCelestial, 0, 1, 0.24, 0.27);
    p.radius = 0.065;
  } else {
    p.v = hash_range(seed, kStreamCelestial, 0, 1, 0.12, 0.14);
    p.radius = a.celestial == Celestial::kSun ? 0.055 : 0.05;
  }
  return p;
}

SubjectPlacement subject_placement(const SceneAttributes &a, uint64_t seed) {
  SubjectPlacement p;
  if (!a.has_subject()) return p;
  p.visible = true;
  p.u = kPositionU[int(a.position)] +
        hash_range(seed, kStreamSubject, 0, 0, -kPositionJitter, kPositionJitter);
  const double extent = kSizeExtent[int(a.size)] *
                        (1.0 + hash_range(seed, kStreamSubject, 0, 1, -kSizeJitter, kSizeJitter));
  switch (a.subject) {
    case SubjectKind::kNone:
      break;
    case SubjectKind::kBottle:
      p.height = extent;
      p.width = 0.36 * extent;
      break;
    case SubjectKind::kBox:
      p.width = extent;
      p.height = 0.9 * extent;
      break;
    case SubjectKind::kBall:
      p.width = p.height = extent;
      break;
    case SubjectKind::kCar:
      p.width = extent;
      p.height = 0.5 * extent;
      break;
  }
  return p;
}

}  // namespace amused::scenes
