#include "training/scenes.h"

#include "training/scene_random.h"

namespace amused::scenes {

namespace {
// Probabilities of the optional elements in sampled scenes.
constexpr double kCelestialChance = 0.6;
constexpr double kCloudsChance = 0.5;
constexpr double kNoSubjectChance = 0.08;  // train only; held-out scenes always have one
// Salts keep the train and held-out streams of one seed unrelated.
constexpr uint64_t kTrainSalt = 0x7472'6169'6e00'0001ull;
constexpr uint64_t kHeldoutSalt = 0x6865'6c64'6f75'7402ull;
}  // namespace

SceneAttributes sample_attributes(uint64_t seed, Split split) {
  Rng rng(splitmix64(seed) ^ (split == Split::kTrain ? kTrainSalt : kHeldoutSalt));
  // Rejection sampling: uniform over the independent choices, restricted to valid scenes of
  // the split. About one draw in ten is a held-out triple, so the loop is short either way.
  for (;;) {
    SceneAttributes a;
    a.time = TimeOfDay(rng.below(kNumTimes));
    if (rng.chance(kCelestialChance)) {
      a.celestial = a.time == TimeOfDay::kNight ? Celestial::kMoon : Celestial::kSun;
    }
    a.clouds = rng.chance(kCloudsChance);
    a.backdrop = Backdrop(rng.below(kNumBackdrops));
    a.ground = Ground(rng.below(kNumGrounds));
    const bool subject = split == Split::kHeldout || !rng.chance(kNoSubjectChance);
    if (subject) {
      a.subject = SubjectKind(1 + rng.below(kNumSubjectKinds - 1));
      a.colour = Colour(rng.below(kNumColours));
      a.position = Position(rng.below(kNumPositions));
      a.size = Size(rng.below(kNumSizes));
    }
    a = a.normalized();
    if (!is_valid(a)) continue;
    if (is_heldout(a) != (split == Split::kHeldout)) continue;
    return a;
  }
}

CombinationCounts count_combinations() {
  CombinationCounts c;
  for (const SceneAttributes &a : all_combinations()) {
    ++c.total;
    ++(is_heldout(a) ? c.heldout : c.train);
  }
  return c;
}

}  // namespace amused::scenes
