#include "training/caption_phrasing.h"

#include <array>
#include <string_view>
#include <vector>

#include "training/scene_random.h"

namespace amused::scenes {

namespace {

using Words = std::vector<std::string_view>;

// Draws from a splitmix64 sequence: deterministic, unlike <random>'s distributions.
class Draw {
 public:
  explicit Draw(uint64_t seed) : state_(splitmix64(seed ^ 0x6361707469306e73ull)) {}
  double unit() {
    state_ = splitmix64(state_);
    return unit_from_bits(state_);
  }
  bool chance(double p) { return unit() < p; }
  std::string_view pick(const Words &words) {
    return words[static_cast<size_t>(unit() * static_cast<double>(words.size())) % words.size()];
  }

 private:
  uint64_t state_;
};

const Words &kind_words(SubjectKind k) {
  static const std::array<Words, kNumSubjectKinds> words = {
      Words{""}, Words{"bottle", "bottle", "flask"},
      Words{"box", "box", "crate", "cube", "package"}, Words{"ball", "ball", "sphere"},
      Words{"car", "car", "automobile", "vehicle"}};
  return words[static_cast<size_t>(k)];
}

const Words &colour_words(Colour c) {
  static const std::array<Words, kNumColours> words = {Words{"red", "red", "crimson", "scarlet"},
                                                       Words{"orange", "orange", "amber"},
                                                       Words{"yellow", "yellow", "golden"},
                                                       Words{"green", "green", "emerald", "lime"},
                                                       Words{"blue", "blue", "azure", "navy blue"},
                                                       Words{"purple", "purple", "violet"},
                                                       Words{"white", "white", "ivory"},
                                                       Words{"black", "black", "jet black"}};
  return words[static_cast<size_t>(c)];
}

const Words &size_words(Size s) {
  static const std::array<Words, kNumSizes> words = {Words{"small", "little", "tiny"},
                                                     Words{"large", "big", "huge"}};
  return words[static_cast<size_t>(s)];
}

const Words &position_words(Position p) {
  static const std::array<Words, kNumPositions> words = {
      Words{"at the left", "on the left", "to the left", "on the left side"},
      Words{"in the middle", "in the center", "in the centre", "centred"},
      Words{"at the right", "on the right", "to the right", "on the right side"}};
  return words[static_cast<size_t>(p)];
}

// Where the subject is: a preposition and the ground.
const Words &on_ground_words(Ground g) {
  static const std::array<Words, kNumGrounds> words = {
      Words{"in a field", "in a meadow", "on the grass", "in a grassy field"},
      Words{"by a lake", "by the lake", "on the lakeshore", "beside a lake"},
      Words{"on a beach", "on the sand", "on the beach", "on the shore"},
      Words{"by the sea", "by the ocean", "at the seaside", "beside the ocean"},
      Words{"in a desert", "in the desert", "on the dunes", "in the desert sand"},
      Words{"on a snow field", "in the snow", "on a snowy plain", "on snowy ground"},
      Words{"on a road", "on the road", "on a street", "on a country road", "on a highway"}};
  return words[static_cast<size_t>(g)];
}

// The ground as a place, for captions that start with it.
const Words &ground_words(Ground g) {
  static const std::array<Words, kNumGrounds> words = {
      Words{"a field", "a meadow", "a grassy field"},
      Words{"a lake", "a calm lake"},
      Words{"a beach", "a sandy beach", "the shore"},
      Words{"the sea", "the ocean", "the open sea"},
      Words{"a desert", "desert dunes"},
      Words{"a snow field", "a snowy plain", "snowy ground"},
      Words{"a road", "a street", "a country road"}};
  return words[static_cast<size_t>(g)];
}

const Words &time_words(TimeOfDay t) {
  static const std::array<Words, kNumTimes> words = {
      Words{"under a daytime sky", "during the day", "in daylight", "in the daytime", "at noon"},
      Words{"under a sunset sky", "at sunset", "at dusk", "in the evening", "at sundown"},
      Words{"under a night sky", "at night", "after dark", "in the night"}};
  return words[static_cast<size_t>(t)];
}

const Words &backdrop_words(Backdrop b) {
  static const std::array<Words, kNumBackdrops> words = {
      Words{""},
      Words{"mountains", "peaks", "a mountain range"},
      Words{"hills", "rolling hills"},
      Words{"trees", "a forest", "woods"},
      Words{"a city skyline", "skyscrapers", "a city"},
      Words{"houses", "a village", "some houses"}};
  return words[static_cast<size_t>(b)];
}

const Words &celestial_words(Celestial c) {
  static const std::array<Words, kNumCelestials> words = {
      Words{""}, Words{"the sun", "a bright sun"}, Words{"the moon", "a full moon"}};
  return words[static_cast<size_t>(c)];
}

std::string join(const std::vector<std::string> &parts, std::string_view last) {
  std::string s;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) s += i + 1 == parts.size() ? std::string(last) : ", ";
    s += parts[i];
  }
  return s;
}

}  // namespace

FreeCaption free_caption(const SceneAttributes &a, uint64_t seed) {
  Draw draw(seed);
  FreeCaption c;
  // Left out: size and position often, the sky's details sometimes.
  c.omits_size = draw.chance(0.4);
  c.omits_position = draw.chance(0.3);
  c.omits_backdrop = draw.chance(0.3);
  c.omits_clouds = draw.chance(0.4);
  c.omits_celestial = draw.chance(0.3);

  std::string subject;
  if (a.has_subject()) {
    if (!c.omits_size) subject += std::string(draw.pick(size_words(a.size))) + " ";
    subject += std::string(draw.pick(colour_words(a.colour))) + " " +
               std::string(draw.pick(kind_words(a.subject)));
    if (!c.omits_position) subject += " " + std::string(draw.pick(position_words(a.position)));
    subject =
        (std::string_view("aeiou").find(subject[0]) != std::string_view::npos ? "an " : "a ") +
        subject;
  }
  std::vector<std::string> extras;
  if (a.backdrop != Backdrop::kNone && !c.omits_backdrop)
    extras.emplace_back(draw.pick(backdrop_words(a.backdrop)));
  if (a.clouds && !c.omits_clouds)
    extras.emplace_back(draw.pick(Words{"clouds", "some clouds", "a cloudy sky"}));
  if (a.celestial != Celestial::kNone && !c.omits_celestial)
    extras.emplace_back(draw.pick(celestial_words(a.celestial)));
  // A cloudless sky is said only sometimes; unsaid, it is simply not mentioned.
  if (!a.clouds && draw.chance(0.15))
    extras.emplace_back(draw.pick(Words{"a clear sky", "no clouds"}));
  else if (!a.clouds)
    c.omits_clouds = true;
  if (a.backdrop == Backdrop::kNone) c.omits_backdrop = false;
  if (a.celestial == Celestial::kNone) c.omits_celestial = false;
  if (!a.has_subject()) c.omits_size = c.omits_position = false;

  const std::string time(draw.pick(time_words(a.time)));
  const std::string on_ground(draw.pick(on_ground_words(a.ground)));
  const std::string ground(draw.pick(ground_words(a.ground)));
  const std::string with_extras = extras.empty() ? "" : ", with " + join(extras, " and ");
  const std::string behind =
      extras.empty() ? ""
                     : ", " + join(extras, " and ") +
                           std::string(draw.pick(Words{" behind", " in the background", ""}));

  if (!a.has_subject()) {
    switch (static_cast<int>(draw.unit() * 3)) {
      case 0:
        c.text = ground + " " + time + with_extras;
        break;
      case 1:
        c.text = time + ", " + ground + with_extras;
        break;
      default:
        c.text = std::string(draw.pick(Words{"nothing but ", "an empty view of ", "just "})) +
                 ground + " " + time + behind;
    }
    return c;
  }
  static const Words verbs = {"sitting", "standing", "resting", "lying", "placed"};
  switch (static_cast<int>(draw.unit() * 4)) {
    case 0:  // the grammar's order, other words
      c.text = subject + " " + on_ground + " " + time + with_extras;
      break;
    case 1:  // the time first
      c.text = time + ", " + subject + " " + on_ground + behind;
      break;
    case 2:  // the place first
      c.text = ground + " " + time + " with " + subject + behind;
      break;
    default:  // a sentence
      c.text =
          subject + " " + std::string(draw.pick(verbs)) + " " + on_ground + " " + time + behind;
  }
  return c;
}

bool FreeCaption::omits(std::string_view attribute) const {
  return (attribute == "size" && omits_size) || (attribute == "position" && omits_position) ||
         (attribute == "backdrop" && omits_backdrop) || (attribute == "clouds" && omits_clouds) ||
         (attribute == "celestial" && omits_celestial);
}

std::string training_caption(const SceneAttributes &a, uint64_t seed, double free_share) {
  if (free_share <= 0) return a.to_caption();
  Draw draw(seed ^ 0x5eedull);
  return draw.chance(free_share) ? free_caption(a, seed).text : a.to_caption();
}

}  // namespace amused::scenes
