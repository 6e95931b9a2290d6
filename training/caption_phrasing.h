// Captions in people's words for the training scenes: synonyms (automobile for car, crimson
// for red, dusk for sunset, ocean for sea), other word orders, whole sentences, and some
// attributes left out. The grammar caption (SceneAttributes::to_caption) names every
// attribute in one fixed order; a model trained only on it ignores a subject asked for in
// other words (57.7% of the stated attributes of training/prompts/free-phrasing.tsv against
// 81.2% of the grammar's).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "training/scene_attributes.h"

namespace amused::scenes {

struct FreeCaption {
  std::string text;
  // What the text leaves out; the scene still shows it, so a label for it is unknown.
  bool omits_size = false;
  bool omits_position = false;
  bool omits_backdrop = false;
  bool omits_clouds = false;
  bool omits_celestial = false;

  // By the attribute names of the text pretrainer's heads ("size", "clouds", ...).
  bool omits(std::string_view attribute) const;
};

// One phrasing of `a`, decided by `seed` alone (the same on every machine). It never names a
// thing the scene does not show, and never a colour word for anything but the subject.
FreeCaption free_caption(const SceneAttributes &a, uint64_t seed);

// The grammar caption with probability 1 - free_share, else free_caption(a, seed).
std::string training_caption(const SceneAttributes &a, uint64_t seed, double free_share);

}  // namespace amused::scenes
