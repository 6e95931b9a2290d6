// Reads the drawn attributes back from a scene image, to score prompt adherence.
//
// The checker knows the scene layout (scene_layout.h) and palette (scene_palette.h) and
// classifies regions against them: the top rows give the time of day, the cloud layer the
// clouds and the sun or moon, the band above the horizon the backdrop, the ground rows the
// ground, and whatever differs from its ground row is the subject. It works on the central
// frame (a square render without pan; wider images are read on their central square) and
// tolerates blur, noise and small colour casts, since it is applied to model outputs.
//
//   CheckResult r = check(generated_image, expected_attributes);
//   r.fraction;   // share of the checked attributes that are right
#pragma once

#include <array>
#include <string>

#include "amused.h"
#include "training/scene_attributes.h"

namespace amused::scenes {

// The raw measurements read_attributes() decides on; exposed for tests and diagnostics.
struct SceneMeasurements {
  TimeOfDay time = TimeOfDay::kDay;
  double sky_distance = 0;                 // top-row colour to the nearest time-of-day sky
  double cloud_fraction = 0;               // cloud-coloured share of the frame (whole-image units)
  double celestial_fraction = 0;           // sun- or moon-coloured share of the frame
  double backdrop_fraction = 0;            // backdrop-coloured share of the band above the horizon
  std::array<double, 6> backdrop_votes{};  // per Backdrop, share of pure-colour pixels
  double backdrop_high_fraction = 0;       // backdrop share of the band's upper rows
  double ground_distance = 0;              // to the nearest ground prototype
  Ground ground = Ground::kField;
  double subject_fraction = 0;                   // area of the subject blob / frame area
  double subject_u = 0;                          // centroid, units of the image height
  double subject_width = 0, subject_height = 0;  // bounding box, units of the image height
  double subject_fill = 0;                       // blob area / bounding box area
  double subject_corner_fill = 0;                // fuller bottom corner of the bounding box
  std::array<double, 8> colour_votes{};          // per Colour, share of the subject's core
};

SceneMeasurements measure_scene(const Image &image);
SceneAttributes attributes_from_measurements(const SceneMeasurements &m);

// The attributes the image shows (normalized: subject fields default when no subject).
// Throws amused::Error if the image is not 3-channel RGB or smaller than 32x32.
SceneAttributes read_attributes(const Image &image);

struct CheckResult {
  // Per attribute: true when read back as expected. Subject colour, position, kind and size
  // are only checked when a subject is expected; a missing subject fails all of them.
  bool time = false;
  bool celestial = false;
  bool clouds = false;
  bool backdrop = false;
  bool ground = false;
  bool subject_present = false;
  bool subject_kind = false;
  bool colour = false;
  bool position = false;
  bool size = false;
  int checked = 0;  // attributes that count (10 with a subject expected, 6 without)
  int correct = 0;
  double fraction = 0;  // correct / checked

  SceneAttributes read;  // what the image showed
  // Comma-separated names of the wrong attributes ("" when all are right).
  std::string wrong() const;
};

// Compares `read` against `expected` attribute by attribute.
CheckResult compare(const SceneAttributes &read, const SceneAttributes &expected);
// compare(read_attributes(image), expected).
CheckResult check(const Image &image, const SceneAttributes &expected);

}  // namespace amused::scenes
