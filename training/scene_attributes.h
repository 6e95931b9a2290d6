// The attributes a procedural training scene is drawn from, and the caption built from them.
//
// Every attribute is something the renderer draws unambiguously and the checker
// (scene_checker.h) reads back from pixels, so "prompt adherence" can be scored per attribute.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace amused::scenes {

enum class TimeOfDay { kDay, kSunset, kNight };
// The sun only shows in day and sunset skies, the moon only in night skies.
enum class Celestial { kNone, kSun, kMoon };
// What stands on the horizon behind the subject.
enum class Backdrop { kNone, kMountains, kHills, kTrees, kCity, kHouses };
// The ground the subject stands on: a far band just below the horizon and a near band.
enum class Ground { kField, kLake, kBeach, kSea, kDesert, kSnow, kRoad };
enum class SubjectKind { kNone, kBottle, kBox, kBall, kCar };
enum class Colour { kRed, kOrange, kYellow, kGreen, kBlue, kPurple, kWhite, kBlack };
enum class Position { kLeft, kCenter, kRight };
enum class Size { kSmall, kLarge };

inline constexpr int kNumTimes = 3;
inline constexpr int kNumCelestials = 3;
inline constexpr int kNumBackdrops = 6;
inline constexpr int kNumGrounds = 7;
inline constexpr int kNumSubjectKinds = 5;  // including kNone
inline constexpr int kNumColours = 8;
inline constexpr int kNumPositions = 3;
inline constexpr int kNumSizes = 2;

// Attribute value names as used in JSON and on the command line ("sunset", "car", ...).
std::string_view name(TimeOfDay v);
std::string_view name(Celestial v);
std::string_view name(Backdrop v);
std::string_view name(Ground v);
std::string_view name(SubjectKind v);
std::string_view name(Colour v);
std::string_view name(Position v);
std::string_view name(Size v);

struct SceneAttributes {
  TimeOfDay time = TimeOfDay::kDay;
  Celestial celestial = Celestial::kNone;
  bool clouds = false;
  Backdrop backdrop = Backdrop::kNone;
  Ground ground = Ground::kField;
  SubjectKind subject = SubjectKind::kNone;
  // colour, position and size describe the subject; they are meaningless (and kept at their
  // defaults by normalized()) when there is no subject.
  Colour colour = Colour::kRed;
  Position position = Position::kCenter;
  Size size = Size::kSmall;

  bool has_subject() const { return subject != SubjectKind::kNone; }

  // e.g. "a large red car at the left on a road under a sunset sky with mountains, clouds
  // and the sun". Every attribute is named exactly once, always in the same order.
  std::string to_caption() const;
  // One flat JSON object; subject fields are null when there is no subject.
  std::string to_json() const;
  // Copy with the subject fields reset when there is no subject, so equal scenes compare equal.
  SceneAttributes normalized() const;

  bool operator==(const SceneAttributes &o) const;
  bool operator!=(const SceneAttributes &o) const { return !(*this == o); }
};

// A (subject kind, colour, time of day) triple is held out from training when
//   (kind_index + 3 * colour_index + 2 * time_index) % 8 == 5,
// with kind_index bottle=0 box=1 ball=2 car=3, colour_index in enum order, time_index
// day=0 sunset=1 night=2. That holds out exactly one colour per (kind, time) pair — 12
// triples, among them "red car, sunset" — while every kind, colour and time, and every pair
// of them, still occurs in training. Scenes without a subject are never held out.
bool is_heldout(const SceneAttributes &a);
bool is_heldout_triple(SubjectKind kind, Colour colour, TimeOfDay time);

// Whether the generator may produce this combination: the celestial body matches the time of
// day, a car is not put on the sea, and the subject colour stands out against the ground
// (see palette.h: kMinSubjectContrast) so that it is visible to a model and the checker.
bool is_valid(const SceneAttributes &a);

// All words that can appear in a caption, sorted and unique. Captions otherwise contain
// only single spaces and the comma that separates backdrop, clouds and the celestial body.
std::vector<std::string> caption_vocabulary();

// Every valid, normalized attribute combination in a fixed order.
std::vector<SceneAttributes> all_combinations();

}  // namespace amused::scenes
