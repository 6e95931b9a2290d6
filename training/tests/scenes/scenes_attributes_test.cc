// Attributes, captions, the held-out split and the palette the checker relies on.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "training/caption_phrasing.h"
#include "training/scene_palette.h"
#include "training/scenes.h"

namespace amused::scenes {
namespace {

std::vector<std::string> words_of(const std::string &caption) {
  std::vector<std::string> words;
  std::istringstream in(caption);
  std::string w;
  while (in >> w) {
    w.erase(std::remove(w.begin(), w.end(), ','), w.end());
    words.push_back(w);
  }
  return words;
}

bool has_phrase(const std::string &caption, const std::string &phrase) {
  // Whole-word match: pad both with spaces, treat commas as spaces.
  std::string c = " " + caption + " ";
  std::replace(c.begin(), c.end(), ',', ' ');
  return c.find(" " + phrase + " ") != std::string::npos;
}

// How many of the phrases occur in the caption.
int count_phrases(const std::string &caption, const std::vector<std::string> &phrases) {
  int n = 0;
  for (const std::string &p : phrases) n += has_phrase(caption, p);
  return n;
}

TEST(ScenesAttributes, CaptionExample) {
  SceneAttributes a;
  a.time = TimeOfDay::kSunset;
  a.celestial = Celestial::kSun;
  a.clouds = true;
  a.backdrop = Backdrop::kMountains;
  a.ground = Ground::kRoad;
  a.subject = SubjectKind::kCar;
  a.colour = Colour::kRed;
  a.position = Position::kLeft;
  a.size = Size::kLarge;
  EXPECT_EQ(a.to_caption(),
            "a large red car at the left on a road under a sunset sky with mountains, clouds "
            "and the sun");
  a.clouds = false;
  a.celestial = Celestial::kNone;
  EXPECT_EQ(a.to_caption(),
            "a large red car at the left on a road under a sunset sky with mountains");
  a.backdrop = Backdrop::kNone;
  a.subject = SubjectKind::kNone;
  EXPECT_EQ(a.to_caption(), "a road under a sunset sky");
}

// The caption names every drawn attribute, and no other value of it, for every combination.
TEST(ScenesAttributes, CaptionMentionsExactlyTheDrawnAttributes) {
  const std::vector<std::string> times = {"daytime sky", "sunset sky", "night sky"};
  const std::vector<std::string> celestials = {"the sun", "the moon"};
  const std::vector<std::string> backdrops = {"mountains", "hills", "trees", "a city skyline",
                                              "houses"};
  const std::vector<std::string> grounds = {"a field",  "a lake",       "a beach", "the sea",
                                            "a desert", "a snow field", "a road"};
  const std::vector<std::string> kinds = {"bottle", "box", "ball", "car"};
  const std::vector<std::string> colours = {"red",  "orange", "yellow", "green",
                                            "blue", "purple", "white",  "black"};
  const std::vector<std::string> positions = {"at the left", "in the middle", "at the right"};
  const std::vector<std::string> sizes = {"small", "large"};

  const std::vector<SceneAttributes> all = all_combinations();
  ASSERT_FALSE(all.empty());
  for (const SceneAttributes &a : all) {
    const std::string c = a.to_caption();
    SCOPED_TRACE(c);
    ASSERT_EQ(count_phrases(c, times), 1);
    ASSERT_TRUE(has_phrase(c, times[int(a.time)]));
    ASSERT_EQ(count_phrases(c, celestials), a.celestial == Celestial::kNone ? 0 : 1);
    if (a.celestial != Celestial::kNone) {
      ASSERT_TRUE(has_phrase(c, celestials[int(a.celestial) - 1]));
    }
    ASSERT_EQ(has_phrase(c, "clouds"), a.clouds);
    ASSERT_EQ(count_phrases(c, backdrops), a.backdrop == Backdrop::kNone ? 0 : 1);
    if (a.backdrop != Backdrop::kNone) {
      ASSERT_TRUE(has_phrase(c, backdrops[int(a.backdrop) - 1]));
    }
    ASSERT_EQ(count_phrases(c, grounds), 1);
    ASSERT_TRUE(has_phrase(c, grounds[int(a.ground)]));
    const int subject_phrases = a.has_subject() ? 1 : 0;
    ASSERT_EQ(count_phrases(c, kinds), subject_phrases);
    ASSERT_EQ(count_phrases(c, colours), subject_phrases);
    ASSERT_EQ(count_phrases(c, positions), subject_phrases);
    ASSERT_EQ(count_phrases(c, sizes), subject_phrases);
    if (a.has_subject()) {
      ASSERT_TRUE(has_phrase(c, kinds[int(a.subject) - 1]));
      ASSERT_TRUE(has_phrase(c, colours[int(a.colour)]));
      ASSERT_TRUE(has_phrase(c, positions[int(a.position)]));
      ASSERT_TRUE(has_phrase(c, sizes[int(a.size)]));
    }
  }
}

TEST(ScenesAttributes, VocabularyCoversExactlyTheCaptionWords) {
  const std::vector<std::string> vocab = caption_vocabulary();
  ASSERT_TRUE(std::is_sorted(vocab.begin(), vocab.end()));
  std::set<std::string> used;
  for (const SceneAttributes &a : all_combinations()) {
    for (const std::string &w : words_of(a.to_caption())) used.insert(w);
  }
  EXPECT_EQ(std::vector<std::string>(used.begin(), used.end()), vocab);
  EXPECT_LT(vocab.size(), 60u);  // a small closed vocabulary
}

TEST(ScenesAttributes, JsonNamesEveryAttribute) {
  SceneAttributes a = sample_attributes(3, Split::kTrain);
  a.subject = SubjectKind::kBall;
  a.colour = Colour::kPurple;
  const std::string j = a.to_json();
  for (const char *key : {"\"time\":", "\"celestial\":", "\"clouds\":", "\"backdrop\":",
                          "\"ground\":", "\"subject\":\"ball\"", "\"colour\":\"purple\"",
                          "\"position\":", "\"size\":", "\"caption\":"}) {
    EXPECT_NE(j.find(key), std::string::npos) << key << " in " << j;
  }
  a.subject = SubjectKind::kNone;
  EXPECT_NE(a.to_json().find("\"colour\":null"), std::string::npos);
}

TEST(ScenesAttributes, EqualityIgnoresSubjectFieldsWithoutSubject) {
  SceneAttributes a, b;
  b.colour = Colour::kBlue;
  b.position = Position::kRight;
  EXPECT_EQ(a, b);
  a.subject = b.subject = SubjectKind::kBox;
  EXPECT_NE(a, b);
}

TEST(ScenesAttributes, HeldoutRuleHoldsOutTwelveTriplesAndKeepsEveryPairInTraining) {
  std::vector<std::tuple<int, int, int>> held;
  for (int k = 1; k < kNumSubjectKinds; ++k)
    for (int c = 0; c < kNumColours; ++c)
      for (int t = 0; t < kNumTimes; ++t)
        if (is_heldout_triple(SubjectKind(k), Colour(c), TimeOfDay(t))) held.push_back({k, c, t});
  EXPECT_EQ(held.size(), 12u);
  EXPECT_TRUE(is_heldout_triple(SubjectKind::kCar, Colour::kRed, TimeOfDay::kSunset));
  // Every (kind, colour), (kind, time) and (colour, time) pair keeps a training triple.
  for (int k = 1; k < kNumSubjectKinds; ++k)
    for (int c = 0; c < kNumColours; ++c) {
      int train_times = 0;
      for (int t = 0; t < kNumTimes; ++t)
        train_times += !is_heldout_triple(SubjectKind(k), Colour(c), TimeOfDay(t));
      EXPECT_GE(train_times, 2);
    }
  for (int c = 0; c < kNumColours; ++c)
    for (int t = 0; t < kNumTimes; ++t) {
      int train_kinds = 0;
      for (int k = 1; k < kNumSubjectKinds; ++k)
        train_kinds += !is_heldout_triple(SubjectKind(k), Colour(c), TimeOfDay(t));
      EXPECT_GE(train_kinds, 3);
    }
}

TEST(ScenesAttributes, CombinationCounts) {
  const CombinationCounts n = count_combinations();
  EXPECT_EQ(n.total, n.train + n.heldout);
  EXPECT_GE(n.train, 1000);
  EXPECT_GE(n.heldout, 300);
  std::set<std::string> captions;
  for (const SceneAttributes &a : all_combinations()) captions.insert(a.to_caption());
  EXPECT_EQ(int64_t(captions.size()), n.total) << "captions must identify combinations";
  std::printf("combinations: total %lld, train %lld, held-out %lld\n", (long long)n.total,
              (long long)n.train, (long long)n.heldout);
}

bool says_any(const std::vector<std::string> &words, const std::set<std::string> &of) {
  return std::any_of(words.begin(), words.end(), [&](const auto &w) { return of.count(w) > 0; });
}

// Free phrasing names the subject's kind and colour in some word for them and never another
// kind's or colour's; a scene without a subject names no object; it stays within CLIP's 77
// tokens; the same seed gives the same caption and other seeds other phrasings.
TEST(FreeCaptions, NameTheSubjectInOtherWordsAndNothingElse) {
  const std::vector<std::set<std::string>> kinds = {{},
                                                    {"bottle", "flask"},
                                                    {"box", "crate", "cube", "package"},
                                                    {"ball", "sphere"},
                                                    {"car", "automobile", "vehicle"}};
  const std::vector<std::set<std::string>> colours = {{"red", "crimson", "scarlet"},
                                                      {"orange", "amber"},
                                                      {"yellow", "golden"},
                                                      {"green", "emerald", "lime"},
                                                      {"blue", "azure", "navy"},
                                                      {"purple", "violet"},
                                                      {"white", "ivory"},
                                                      {"black", "jet"}};
  std::set<std::string> all_kinds, all_colours;
  for (const auto &k : kinds) all_kinds.insert(k.begin(), k.end());
  for (const auto &c : colours) all_colours.insert(c.begin(), c.end());
  int free = 0;
  for (uint64_t seed = 0; seed < 2000; ++seed) {
    const auto a = sample_attributes(seed, Split::kTrain);
    const auto caption = free_caption(a, seed * 31 + 7);
    EXPECT_EQ(caption.text, free_caption(a, seed * 31 + 7).text);
    const auto words = words_of(caption.text);
    EXPECT_LT(words.size(), 40u) << caption.text;
    if (a.has_subject()) {
      const auto &mine = kinds[static_cast<size_t>(a.subject)];
      const auto &colour = colours[static_cast<size_t>(a.colour)];
      EXPECT_TRUE(says_any(words, mine)) << caption.text;
      EXPECT_TRUE(says_any(words, colour)) << caption.text;
      for (const auto &w : words) {
        EXPECT_TRUE(!all_kinds.count(w) || mine.count(w)) << w << ": " << caption.text;
        EXPECT_TRUE(!all_colours.count(w) || colour.count(w)) << w << ": " << caption.text;
      }
    } else {
      EXPECT_FALSE(says_any(words, all_kinds)) << caption.text;
      EXPECT_FALSE(says_any(words, all_colours)) << caption.text;
    }
    EXPECT_EQ(training_caption(a, seed, 0.0), a.to_caption());
    free += training_caption(a, seed, 0.5) != a.to_caption() ? 1 : 0;
  }
  EXPECT_NEAR(free / 2000.0, 0.5, 0.05);

  SceneAttributes car;
  car.subject = SubjectKind::kCar;
  car.time = TimeOfDay::kSunset;
  car.ground = Ground::kRoad;
  car.backdrop = Backdrop::kMountains;
  std::set<std::string> phrasings;
  for (uint64_t seed = 0; seed < 200; ++seed) phrasings.insert(free_caption(car, seed).text);
  EXPECT_GT(phrasings.size(), 100u);
}

TEST(ScenesAttributes, SamplingIsDeterministic) {
  for (uint64_t seed : {0ull, 1ull, 12345ull, ~0ull}) {
    EXPECT_EQ(sample_attributes(seed, Split::kTrain), sample_attributes(seed, Split::kTrain));
    EXPECT_EQ(sample_attributes(seed, Split::kHeldout), sample_attributes(seed, Split::kHeldout));
  }
}

TEST(ScenesAttributes, TrainNeverContainsHeldoutCombinations) {
  std::set<std::string> distinct;
  std::set<int> kinds, colours, times, grounds, backdrops;
  int no_subject = 0;
  for (uint64_t seed = 0; seed < 20000; ++seed) {
    const SceneAttributes a = sample_attributes(seed, Split::kTrain);
    ASSERT_FALSE(is_heldout(a)) << a.to_caption();
    ASSERT_TRUE(is_valid(a)) << a.to_caption();
    distinct.insert(a.to_caption());
    no_subject += !a.has_subject();
    kinds.insert(int(a.subject));
    colours.insert(int(a.colour));
    times.insert(int(a.time));
    grounds.insert(int(a.ground));
    backdrops.insert(int(a.backdrop));
  }
  EXPECT_EQ(kinds.size(), size_t(kNumSubjectKinds));
  EXPECT_EQ(colours.size(), size_t(kNumColours));
  EXPECT_EQ(times.size(), size_t(kNumTimes));
  EXPECT_EQ(grounds.size(), size_t(kNumGrounds));
  EXPECT_EQ(backdrops.size(), size_t(kNumBackdrops));
  EXPECT_GT(no_subject, 500);
  EXPECT_GT(distinct.size(), 10000u);  // little repetition: the combination space is large
}

TEST(ScenesAttributes, HeldoutSamplingCoversEveryHeldoutTriple) {
  std::set<std::tuple<int, int, int>> seen;
  for (uint64_t seed = 0; seed < 2000; ++seed) {
    const SceneAttributes a = sample_attributes(seed, Split::kHeldout);
    ASSERT_TRUE(is_heldout(a)) << a.to_caption();
    ASSERT_TRUE(is_valid(a)) << a.to_caption();
    seen.insert({int(a.subject), int(a.colour), int(a.time)});
  }
  EXPECT_EQ(seen.size(), 12u);
}

TEST(ScenesAttributes, ValidityRules) {
  SceneAttributes a;
  a.time = TimeOfDay::kNight;
  a.celestial = Celestial::kSun;
  EXPECT_FALSE(is_valid(a));
  a.celestial = Celestial::kMoon;
  EXPECT_TRUE(is_valid(a));
  a.time = TimeOfDay::kDay;
  EXPECT_FALSE(is_valid(a));
  a.celestial = Celestial::kNone;
  a.subject = SubjectKind::kBall;
  a.colour = Colour::kWhite;
  a.ground = Ground::kSnow;  // white on snow: invisible
  EXPECT_FALSE(is_valid(a));
  a.colour = Colour::kRed;
  EXPECT_TRUE(is_valid(a));
  a.subject = SubjectKind::kCar;
  a.ground = Ground::kSea;
  EXPECT_FALSE(is_valid(a));
}

// The checker tells classes apart by nearest colour; these margins are what make that work.
TEST(ScenesPalette, ClassesAreSeparable) {
  for (int i = 0; i < kNumColours; ++i)
    for (int j = i + 1; j < kNumColours; ++j)
      EXPECT_GE(distance(subject_colour(Colour(i)), subject_colour(Colour(j))), 80.0)
          << name(Colour(i)) << " vs " << name(Colour(j));
  for (int i = 0; i < kNumTimes; ++i)
    for (int j = i + 1; j < kNumTimes; ++j)
      EXPECT_GE(distance(sky_colour(TimeOfDay(i), 0.025), sky_colour(TimeOfDay(j), 0.025)), 60);
  for (int t = 0; t < kNumTimes; ++t) {
    const TimeOfDay time = TimeOfDay(t);
    for (int g = 0; g < kNumGrounds; ++g)
      for (int h = g + 1; h < kNumGrounds; ++h) {
        const GroundColours a = ground_colours(Ground(g), time),
                            b = ground_colours(Ground(h), time);
        EXPECT_GE(distance(a.far, b.far) + distance(a.near, b.near), 40.0)
            << name(Ground(g)) << " vs " << name(Ground(h)) << " at " << name(time);
      }
    // Backdrop colours of different backdrops, and each against the sky behind it.
    for (int b = 1; b < kNumBackdrops; ++b) {
      for (const Rgb &cb : backdrop_colours(Backdrop(b), time)) {
        EXPECT_GE(distance(cb, sky_colour(time, 0.4)), 45.0)
            << name(Backdrop(b)) << " " << name(time);
        for (int o = b + 1; o < kNumBackdrops; ++o)
          for (const Rgb &co : backdrop_colours(Backdrop(o), time))
            EXPECT_GE(distance(cb, co), 40.0)
                << name(Backdrop(b)) << " vs " << name(Backdrop(o)) << " at " << name(time);
      }
    }
    EXPECT_GE(distance(cloud_colour(time), sky_colour(time, 0.15)), 60.0);
  }
}

}  // namespace
}  // namespace amused::scenes
