// Procedural captioned scenes: the training data of the default model.
//
// A scene is a wide landscape under a sky (day, sunset or night) with optional sun or moon,
// clouds, a backdrop on the horizon (mountains, hills, trees, a city skyline, houses), a
// ground (field, lake, beach, sea, desert, snow field, road) and an optional foreground
// subject (bottle, box, ball, car) of one of eight clear colours, at the left, middle or
// right, small or large. The caption names exactly the drawn attributes.
//
//   SceneAttributes a = sample_attributes(seed, Split::kTrain);
//   amused::Image img = render(a, seed, 128, 128);   // training frame
//   amused::Image pano = render(a, seed, 512, 128);  // the same world, 4x wider
//   std::string caption = a.to_caption();
//
// Everything is deterministic: the same attributes and seed give the same pixels on every
// machine. Renders are scale-free: geometry is defined in units of the image height.
#pragma once

#include <cstdint>
#include <vector>

#include "amused.h"
#include "training/scene_attributes.h"

namespace amused::scenes {

// Train scenes never contain a held-out (subject, colour, time) triple (see is_heldout());
// held-out scenes always do. Scenes without a subject are train scenes.
enum class Split { kTrain, kHeldout };

// Draws a valid attribute combination of the split, deterministically from the seed.
SceneAttributes sample_attributes(uint64_t seed, Split split);

// Renders the scene at any size. The view shows the world horizontally centred on the
// central frame (u in [0, 1]), shifted right by `pan_offset` pixels: a 128x128 render shows
// exactly the central frame, a 512x128 render shows it in its middle with 1.5 frames of
// landscape on each side. Hills, skyline, clouds and ground continue to the sides; the
// subject and the sun or moon keep their place in the central frame. Any attributes render,
// valid or not (is_valid() only restricts sampling). Throws amused::Error for a non-positive
// size.
Image render(const SceneAttributes &attributes, uint64_t seed, int width, int height,
             double pan_offset = 0.0);

struct CombinationCounts {
  int64_t total = 0;
  int64_t train = 0;
  int64_t heldout = 0;
};
// Number of distinct valid attribute combinations (see all_combinations()).
CombinationCounts count_combinations();

}  // namespace amused::scenes
