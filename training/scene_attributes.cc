#include "training/scene_attributes.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "training/scene_palette.h"

namespace amused::scenes {

std::string_view name(TimeOfDay v) {
  static constexpr std::string_view k[] = {"day", "sunset", "night"};
  return k[int(v)];
}
std::string_view name(Celestial v) {
  static constexpr std::string_view k[] = {"none", "sun", "moon"};
  return k[int(v)];
}
std::string_view name(Backdrop v) {
  static constexpr std::string_view k[] = {"none", "mountains", "hills", "trees", "city", "houses"};
  return k[int(v)];
}
std::string_view name(Ground v) {
  static constexpr std::string_view k[] = {"field",  "lake", "beach", "sea",
                                           "desert", "snow", "road"};
  return k[int(v)];
}
std::string_view name(SubjectKind v) {
  static constexpr std::string_view k[] = {"none", "bottle", "box", "ball", "car"};
  return k[int(v)];
}
std::string_view name(Colour v) {
  static constexpr std::string_view k[] = {"red",  "orange", "yellow", "green",
                                           "blue", "purple", "white",  "black"};
  return k[int(v)];
}
std::string_view name(Position v) {
  static constexpr std::string_view k[] = {"left", "center", "right"};
  return k[int(v)];
}
std::string_view name(Size v) {
  static constexpr std::string_view k[] = {"small", "large"};
  return k[int(v)];
}

namespace {

// Caption phrases. "daytime" rather than "blue" for the day sky, so that a colour word in a
// caption always refers to the subject.
std::string_view sky_phrase(TimeOfDay t) {
  static constexpr std::string_view k[] = {"under a daytime sky", "under a sunset sky",
                                           "under a night sky"};
  return k[int(t)];
}
std::string_view ground_noun(Ground g) {
  static constexpr std::string_view k[] = {"a field",  "a lake",       "a beach", "the sea",
                                           "a desert", "a snow field", "a road"};
  return k[int(g)];
}
std::string_view ground_preposition(Ground g) {
  static constexpr std::string_view k[] = {"in", "by", "on", "on", "in", "on", "on"};
  return k[int(g)];
}
std::string_view position_phrase(Position p) {
  static constexpr std::string_view k[] = {"at the left", "in the middle", "at the right"};
  return k[int(p)];
}
std::string_view backdrop_phrase(Backdrop b) {
  static constexpr std::string_view k[] = {"",      "mountains",      "hills",
                                           "trees", "a city skyline", "houses"};
  return k[int(b)];
}
std::string_view celestial_phrase(Celestial c) {
  static constexpr std::string_view k[] = {"", "the sun", "the moon"};
  return k[int(c)];
}

}  // namespace

std::string SceneAttributes::to_caption() const {
  std::string s;
  if (has_subject()) {
    s += "a ";
    s += name(size);
    s += ' ';
    s += name(colour);
    s += ' ';
    s += name(subject);
    s += ' ';
    s += position_phrase(position);
    s += ' ';
    s += ground_preposition(ground);
    s += ' ';
  }
  s += ground_noun(ground);
  s += ' ';
  s += sky_phrase(time);

  std::vector<std::string_view> extras;
  if (backdrop != Backdrop::kNone) extras.push_back(backdrop_phrase(backdrop));
  if (clouds) extras.push_back("clouds");
  if (celestial != Celestial::kNone) extras.push_back(celestial_phrase(celestial));
  for (size_t i = 0; i < extras.size(); ++i) {
    if (i == 0)
      s += " with ";
    else if (i + 1 == extras.size())
      s += " and ";
    else
      s += ", ";
    s += extras[i];
  }
  return s;
}

std::string SceneAttributes::to_json() const {
  std::ostringstream o;
  auto str = [](std::string_view v) { return "\"" + std::string(v) + "\""; };
  o << "{\"time\":" << str(name(time)) << ",\"celestial\":" << str(name(celestial))
    << ",\"clouds\":" << (clouds ? "true" : "false") << ",\"backdrop\":" << str(name(backdrop))
    << ",\"ground\":" << str(name(ground)) << ",\"subject\":" << str(name(subject));
  if (has_subject()) {
    o << ",\"colour\":" << str(name(colour)) << ",\"position\":" << str(name(position))
      << ",\"size\":" << str(name(size));
  } else {
    o << ",\"colour\":null,\"position\":null,\"size\":null";
  }
  o << ",\"caption\":" << str(to_caption()) << "}";
  return o.str();
}

SceneAttributes SceneAttributes::normalized() const {
  SceneAttributes a = *this;
  if (!a.has_subject()) {
    const SceneAttributes defaults;
    a.colour = defaults.colour;
    a.position = defaults.position;
    a.size = defaults.size;
  }
  return a;
}

bool SceneAttributes::operator==(const SceneAttributes &o) const {
  const SceneAttributes a = normalized(), b = o.normalized();
  return a.time == b.time && a.celestial == b.celestial && a.clouds == b.clouds &&
         a.backdrop == b.backdrop && a.ground == b.ground && a.subject == b.subject &&
         a.colour == b.colour && a.position == b.position && a.size == b.size;
}

bool is_heldout_triple(SubjectKind kind, Colour colour, TimeOfDay time) {
  if (kind == SubjectKind::kNone) return false;
  const int k = int(kind) - 1;
  return (k + 3 * int(colour) + 2 * int(time)) % 8 == 5;
}

bool is_heldout(const SceneAttributes &a) {
  return a.has_subject() && is_heldout_triple(a.subject, a.colour, a.time);
}

bool is_valid(const SceneAttributes &a) {
  switch (a.celestial) {
    case Celestial::kNone:
      break;
    case Celestial::kSun:
      if (a.time == TimeOfDay::kNight) return false;
      break;
    case Celestial::kMoon:
      if (a.time != TimeOfDay::kNight) return false;
      break;
  }
  if (!a.has_subject()) return true;
  if (a.subject == SubjectKind::kCar && a.ground == Ground::kSea) return false;
  const GroundColours g = ground_colours(a.ground, a.time);
  const Rgb s = subject_colour(a.colour);
  return distance(s, g.far) >= kMinSubjectContrast && distance(s, g.near) >= kMinSubjectContrast;
}

std::vector<SceneAttributes> all_combinations() {
  std::vector<SceneAttributes> out;
  SceneAttributes a;
  for (int t = 0; t < kNumTimes; ++t)
    for (int c = 0; c < kNumCelestials; ++c)
      for (int cl = 0; cl < 2; ++cl)
        for (int b = 0; b < kNumBackdrops; ++b)
          for (int g = 0; g < kNumGrounds; ++g)
            for (int k = 0; k < kNumSubjectKinds; ++k) {
              a.time = TimeOfDay(t);
              a.celestial = Celestial(c);
              a.clouds = cl != 0;
              a.backdrop = Backdrop(b);
              a.ground = Ground(g);
              a.subject = SubjectKind(k);
              if (!a.has_subject()) {
                a = a.normalized();
                if (is_valid(a)) out.push_back(a);
                continue;
              }
              for (int col = 0; col < kNumColours; ++col)
                for (int p = 0; p < kNumPositions; ++p)
                  for (int s = 0; s < kNumSizes; ++s) {
                    a.colour = Colour(col);
                    a.position = Position(p);
                    a.size = Size(s);
                    if (is_valid(a)) out.push_back(a);
                  }
            }
  return out;
}

std::vector<std::string> caption_vocabulary() {
  // Collect words from every phrase the caption builder can emit, so the list cannot go stale.
  std::set<std::string> words;
  auto add = [&](std::string_view phrase) {
    std::istringstream in{std::string(phrase)};
    std::string w;
    while (in >> w) {
      w.erase(std::remove(w.begin(), w.end(), ','), w.end());
      if (!w.empty()) words.insert(w);
    }
  };
  for (int t = 0; t < kNumTimes; ++t) add(sky_phrase(TimeOfDay(t)));
  for (int g = 0; g < kNumGrounds; ++g) {
    add(ground_noun(Ground(g)));
    add(ground_preposition(Ground(g)));
  }
  for (int p = 0; p < kNumPositions; ++p) add(position_phrase(Position(p)));
  for (int b = 0; b < kNumBackdrops; ++b) add(backdrop_phrase(Backdrop(b)));
  for (int c = 0; c < kNumCelestials; ++c) add(celestial_phrase(Celestial(c)));
  for (int k = 1; k < kNumSubjectKinds; ++k) add(name(SubjectKind(k)));
  for (int c = 0; c < kNumColours; ++c) add(name(Colour(c)));
  for (int s = 0; s < kNumSizes; ++s) add(name(Size(s)));
  add("a with and clouds");
  return {words.begin(), words.end()};
}

}  // namespace amused::scenes
