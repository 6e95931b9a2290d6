// Decisions of the checker: thresholds on the measurements of scene_measure.cc.
#include "training/scene_checker.h"

#include <algorithm>
#include <iterator>
#include <vector>

#include "training/scene_layout.h"

namespace amused::scenes {

namespace {

// Presence thresholds, as shares of the frame area. The smallest drawn element is about
// three times larger (one cloud ~0.008, the moon ~0.008, a small bottle ~0.015); stray
// pixels of blurred edges stay well below them.
constexpr double kMinCloud = 0.003;
constexpr double kMinCelestial = 0.002;
constexpr double kMinSubject = 0.005;
// Share of the band above the horizon that must be backdrop-coloured (houses, the sparsest
// backdrop, cover ~25%).
constexpr double kMinBackdrop = 0.07;
// Position boundaries (units of the image height), halfway between the drawn centres.
constexpr double kLeftOf = (kPositionU[0] + kPositionU[1]) / 2;
constexpr double kRightOf = (kPositionU[1] + kPositionU[2]) / 2;
// Size boundary: halfway between the extents of small and large subjects.
constexpr double kLargeFrom = (kSizeExtent[0] + kSizeExtent[1]) / 2;
// Shape: bottles are ~2.8x taller than wide, cars ~0.5. A box fills the bottom corners of its
// bounding box, a ball leaves them nearly empty (~10%), even when blurred.
constexpr double kBottleAspect = 1.6;
constexpr double kCarAspect = 0.72;
constexpr double kBoxCornerFill = 0.5;
// A skyline reaches into the upper rows of the backdrop band; houses stay below them.
constexpr double kCityHighFraction = 0.12;

template <typename Array>
int argmax(const Array &a) {
  return int(std::distance(std::begin(a), std::max_element(std::begin(a), std::end(a))));
}

}  // namespace

SceneAttributes attributes_from_measurements(const SceneMeasurements &m) {
  SceneAttributes a;
  a.time = m.time;
  if (m.celestial_fraction >= kMinCelestial) {
    a.celestial = m.time == TimeOfDay::kNight ? Celestial::kMoon : Celestial::kSun;
  }
  a.clouds = m.cloud_fraction >= kMinCloud;
  if (m.backdrop_fraction >= kMinBackdrop) {
    a.backdrop = Backdrop(
        1 + argmax(std::vector<double>(m.backdrop_votes.begin() + 1, m.backdrop_votes.end())));
    // Dim, blurred houses and skylines share colours at night; their heights differ.
    if (a.backdrop == Backdrop::kCity || a.backdrop == Backdrop::kHouses) {
      a.backdrop =
          m.backdrop_high_fraction >= kCityHighFraction ? Backdrop::kCity : Backdrop::kHouses;
    }
  }
  a.ground = m.ground;
  if (m.subject_fraction >= kMinSubject && m.subject_width > 0) {
    const double aspect = m.subject_height / m.subject_width;
    if (aspect >= kBottleAspect) {
      a.subject = SubjectKind::kBottle;
    } else if (aspect <= kCarAspect) {
      a.subject = SubjectKind::kCar;
    } else {
      a.subject = m.subject_corner_fill >= kBoxCornerFill ? SubjectKind::kBox : SubjectKind::kBall;
    }
    a.colour = Colour(argmax(m.colour_votes));
    a.position = m.subject_u < kLeftOf    ? Position::kLeft
                 : m.subject_u > kRightOf ? Position::kRight
                                          : Position::kCenter;
    a.size =
        std::max(m.subject_width, m.subject_height) >= kLargeFrom ? Size::kLarge : Size::kSmall;
  }
  return a.normalized();
}

SceneAttributes read_attributes(const Image &image) {
  return attributes_from_measurements(measure_scene(image));
}

CheckResult compare(const SceneAttributes &read, const SceneAttributes &expected) {
  CheckResult r;
  r.read = read.normalized();
  const SceneAttributes e = expected.normalized();
  r.time = r.read.time == e.time;
  r.celestial = r.read.celestial == e.celestial;
  r.clouds = r.read.clouds == e.clouds;
  r.backdrop = r.read.backdrop == e.backdrop;
  r.ground = r.read.ground == e.ground;
  r.subject_present = r.read.has_subject() == e.has_subject();
  bool flags[] = {r.time, r.celestial, r.clouds, r.backdrop, r.ground, r.subject_present};
  r.checked = 6;
  r.correct = int(std::count(std::begin(flags), std::end(flags), true));
  if (e.has_subject()) {
    const bool seen = r.read.has_subject();
    r.subject_kind = seen && r.read.subject == e.subject;
    r.colour = seen && r.read.colour == e.colour;
    r.position = seen && r.read.position == e.position;
    r.size = seen && r.read.size == e.size;
    r.checked += 4;
    r.correct += int(r.subject_kind) + int(r.colour) + int(r.position) + int(r.size);
  }
  r.fraction = double(r.correct) / r.checked;
  return r;
}

CheckResult check(const Image &image, const SceneAttributes &expected) {
  return compare(read_attributes(image), expected);
}

std::string CheckResult::wrong() const {
  std::string s;
  auto add = [&](bool ok, const char *name) {
    if (ok) return;
    if (!s.empty()) s += ",";
    s += name;
  };
  add(time, "time");
  add(celestial, "celestial");
  add(clouds, "clouds");
  add(backdrop, "backdrop");
  add(ground, "ground");
  add(subject_present, "subject_present");
  if (checked > 6) {
    add(subject_kind, "subject_kind");
    add(colour, "colour");
    add(position, "position");
    add(size, "size");
  }
  return s;
}

}  // namespace amused::scenes
