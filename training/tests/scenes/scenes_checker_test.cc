// The attribute checker: accurate on clean and degraded renders of held-out scenes, and not
// permissive: a scene that differs in one attribute fails exactly that attribute.
#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include "degrade.h"
#include "training/scene_checker.h"
#include "training/scene_palette.h"
#include "training/scenes.h"

namespace amused::scenes {
namespace {

constexpr int kScenes = 300;

struct Tally {
  int correct = 0, checked = 0;
  std::map<std::string, int> wrong;  // per attribute name
  double fraction() const { return checked ? double(correct) / checked : 0.0; }
  void add(const CheckResult &r) {
    correct += r.correct;
    checked += r.checked;
    std::string w = r.wrong();
    size_t start = 0;
    while (!w.empty() && start <= w.size()) {
      const size_t comma = w.find(',', start);
      ++wrong[w.substr(start, comma == std::string::npos ? std::string::npos : comma - start)];
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  std::string report() const {
    std::string s = std::to_string(correct) + "/" + std::to_string(checked);
    for (const auto &[k, v] : wrong) s += " " + k + ":" + std::to_string(v);
    return s;
  }
};

Tally score(Split split, const std::function<Image(const Image &, uint64_t)> &transform,
            int size = 128, uint64_t first_seed = 0) {
  Tally t;
  for (uint64_t seed = first_seed; seed < first_seed + kScenes; ++seed) {
    const SceneAttributes a = sample_attributes(seed, split);
    const CheckResult r = check(transform(render(a, seed, size, size), seed), a);
    t.add(r);
    if (r.fraction < 0.8)
      std::printf("  seed %llu: %s -> wrong %s\n", (unsigned long long)seed, a.to_caption().c_str(),
                  r.wrong().c_str());
  }
  return t;
}

Image identity(const Image &img, uint64_t) { return img; }

TEST(ScenesChecker, CleanHeldoutRenders) {
  const Tally t = score(Split::kHeldout, identity);
  std::printf("clean held-out: %.4f (%s)\n", t.fraction(), t.report().c_str());
  EXPECT_GE(t.fraction(), 0.99);
}

TEST(ScenesChecker, CleanTrainRenders) {
  const Tally t = score(Split::kTrain, identity);
  std::printf("clean train: %.4f (%s)\n", t.fraction(), t.report().c_str());
  EXPECT_GE(t.fraction(), 0.99);
}

// The 8x8-token model works at 64x64.
TEST(ScenesChecker, CleanHeldoutRendersAt64) {
  const Tally t = score(Split::kHeldout, identity, 64);
  std::printf("clean held-out 64x64: %.4f (%s)\n", t.fraction(), t.report().c_str());
  EXPECT_GE(t.fraction(), 0.97);
}

TEST(ScenesChecker, DegradedHeldoutRenders) {
  const Tally t = score(Split::kHeldout, testing::degrade);
  std::printf("degraded held-out (1/4 rescale + colour shift + noise): %.4f (%s)\n", t.fraction(),
              t.report().c_str());
  EXPECT_GE(t.fraction(), 0.90);
}

TEST(ScenesChecker, EachDegradationAlone) {
  const Tally blur = score(Split::kHeldout,
                           [](const Image &i, uint64_t) { return testing::blur_by_rescale(i, 4); });
  const Tally shift = score(Split::kHeldout, [](const Image &i, uint64_t s) {
    return testing::colour_shift(i, s, 0.05, 8.0);
  });
  const Tally noise = score(
      Split::kHeldout, [](const Image &i, uint64_t s) { return testing::add_noise(i, s, 6.0); });
  std::printf("rescale 1/4: %.4f, colour shift: %.4f, noise: %.4f\n", blur.fraction(),
              shift.fraction(), noise.fraction());
  EXPECT_GE(blur.fraction(), 0.90);
  EXPECT_GE(shift.fraction(), 0.97);
  EXPECT_GE(noise.fraction(), 0.97);
}

// ---- Not permissive ----

// All valid variants of `a` that differ in exactly one attribute, with the name the checker
// gives that attribute.
std::vector<std::pair<std::string, SceneAttributes>> one_attribute_variants(
    const SceneAttributes &a) {
  std::vector<std::pair<std::string, SceneAttributes>> out;
  auto add = [&](const char *attr, SceneAttributes b) {
    b = b.normalized();
    if (b != a && is_valid(b)) out.push_back({attr, b});
  };
  // Every other value of one enum attribute, from `first`.
  auto each = [&](const char *attr, auto member, int first, int count) {
    for (int i = first; i < count; ++i) {
      SceneAttributes b = a;
      b.*member = static_cast<std::remove_reference_t<decltype(b.*member)>>(i);
      add(attr, b);
    }
  };
  each("time", &SceneAttributes::time, 0, kNumTimes);
  each("celestial", &SceneAttributes::celestial, 0, kNumCelestials);
  {
    SceneAttributes b = a;
    b.clouds = !a.clouds;
    add("clouds", b);
  }
  each("backdrop", &SceneAttributes::backdrop, 0, kNumBackdrops);
  each("ground", &SceneAttributes::ground, 0, kNumGrounds);
  if (a.has_subject()) {
    each("subject_kind", &SceneAttributes::subject, 1, kNumSubjectKinds);
    each("colour", &SceneAttributes::colour, 0, kNumColours);
    each("position", &SceneAttributes::position, 0, kNumPositions);
    {
      SceneAttributes b = a;
      b.size = a.size == Size::kSmall ? Size::kLarge : Size::kSmall;
      add("size", b);
    }
    {
      SceneAttributes b = a;
      b.subject = SubjectKind::kNone;
      add("subject_present,subject_kind,colour,position,size", b);
    }
  }
  return out;
}

// Render a scene that differs from the expected one in one attribute: the check of the
// expected attributes must flag exactly that attribute.
TEST(ScenesChecker, FlagsExactlyTheChangedAttribute) {
  int cases = 0, exact = 0;
  std::map<std::string, int> failures;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    const SceneAttributes expected = sample_attributes(seed, Split::kHeldout);
    for (const auto &[attr, shown] : one_attribute_variants(expected)) {
      const CheckResult r = check(render(shown, seed, 128, 128), expected);
      ++cases;
      if (r.wrong() == attr) {
        ++exact;
      } else {
        ++failures[attr];
        std::printf("  seed %llu: expected '%s', shown '%s': wrong '%s'\n",
                    (unsigned long long)seed, expected.to_caption().c_str(),
                    shown.to_caption().c_str(), r.wrong().c_str());
      }
    }
  }
  std::printf("one-attribute changes flagged exactly: %d/%d\n", exact, cases);
  EXPECT_GE(cases, 1000);
  EXPECT_GE(double(exact) / cases, 0.99);
  // A wrong answer must never pass as right: a changed attribute always costs something.
}

TEST(ScenesChecker, NeverPassesAChangedAttribute) {
  for (uint64_t seed = 100; seed < 140; ++seed) {
    const SceneAttributes expected = sample_attributes(seed, Split::kHeldout);
    for (const auto &[attr, shown] : one_attribute_variants(expected)) {
      const CheckResult r = check(render(shown, seed, 128, 128), expected);
      EXPECT_LT(r.fraction, 1.0) << "shown '" << shown.to_caption() << "' passed as '"
                                 << expected.to_caption() << "'";
      // The same change is detected on a degraded image too.
      const CheckResult d = check(testing::degrade(render(shown, seed, 128, 128), seed), expected);
      EXPECT_NE(d.wrong().find(attr.substr(0, attr.find(','))), std::string::npos)
          << attr << ": shown '" << shown.to_caption() << "' expected '" << expected.to_caption()
          << "', degraded wrong '" << d.wrong() << "'";
    }
  }
}

// An expected scene without a subject, shown with one: only presence is wrong.
TEST(ScenesChecker, UnexpectedSubjectFailsPresence) {
  for (uint64_t seed = 0; seed < 30; ++seed) {
    const SceneAttributes shown = sample_attributes(seed, Split::kHeldout);
    SceneAttributes expected = shown;
    expected.subject = SubjectKind::kNone;
    const CheckResult r = check(render(shown, seed, 128, 128), expected.normalized());
    EXPECT_EQ(r.wrong(), "subject_present") << shown.to_caption();
    EXPECT_EQ(r.checked, 6);
  }
}

// A subject wider than half of the frame (drawn scenes never have one, generated images do)
// is still read as the subject: its colour, place and size, not the ground at its sides.
TEST(ScenesChecker, ReadsASubjectWiderThanHalfTheFrame) {
  int painted = 0;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    SceneAttributes a = sample_attributes(seed, Split::kHeldout);
    a.subject = SubjectKind::kNone;
    Image img = render(a.normalized(), seed, 128, 128);
    // A colour that stands out against this ground, as the generator requires.
    SceneAttributes shown = a;
    shown.subject = SubjectKind::kCar;
    shown.position = Position::kCenter;
    shown.size = Size::kLarge;
    int c = 0;
    for (; c < kNumColours; ++c) {
      shown.colour = Colour(c);
      if (is_valid(shown)) break;
    }
    if (c == kNumColours) continue;
    const Rgb paint = subject_colour(shown.colour);
    for (int y = int(0.66 * 128); y < int(0.93 * 128); ++y)
      for (int x = int(0.15 * 128); x < int(0.85 * 128); ++x) {
        uint8_t *p = img.pixels.data() + (size_t(y) * 128 + x) * 3;
        p[0] = uint8_t(paint.r), p[1] = uint8_t(paint.g), p[2] = uint8_t(paint.b);
      }
    ++painted;
    const CheckResult r = check(img, shown);
    EXPECT_TRUE(r.subject_present && r.colour && r.position && r.size && r.subject_kind && r.ground)
        << shown.to_caption() << ": read " << r.read.to_caption();
  }
  EXPECT_GT(painted, 30);
}

// Unrelated scenes score near chance, far below a matching scene.
TEST(ScenesChecker, UnrelatedScenesScoreLow) {
  double sum = 0;
  const int n = 200;
  for (int i = 0; i < n; ++i) {
    const SceneAttributes shown = sample_attributes(1000 + i, Split::kTrain);
    const SceneAttributes expected = sample_attributes(5000 + i, Split::kHeldout);
    sum += check(render(shown, 1000 + i, 128, 128), expected).fraction;
  }
  std::printf("unrelated scenes: mean fraction %.3f\n", sum / n);
  EXPECT_LT(sum / n, 0.5);
}

// Images that are not scenes read as nothing in particular, and never crash.
TEST(ScenesChecker, NonScenes) {
  Image grey;
  grey.width = grey.height = 128;
  grey.pixels.assign(128 * 128 * 3, 128);
  // A flat image has no subject and no clouds (what its grey "backdrop" is does not matter).
  const SceneAttributes read = read_attributes(grey);
  EXPECT_FALSE(read.has_subject());
  EXPECT_FALSE(read.clouds);
  EXPECT_EQ(read.celestial, Celestial::kNone);

  Image noise = grey;
  noise = testing::add_noise(noise, 3, 60.0);
  const SceneAttributes expected = sample_attributes(3, Split::kHeldout);
  EXPECT_LT(check(noise, expected).fraction, 0.5);

  Image tiny;
  tiny.width = tiny.height = 8;
  tiny.pixels.assign(8 * 8 * 3, 0);
  EXPECT_THROW(read_attributes(tiny), Error);
  Image gray1 = grey;
  gray1.channels = 1;
  EXPECT_THROW(read_attributes(gray1), Error);
}

TEST(ScenesChecker, ComparesAttributeByAttribute) {
  SceneAttributes e = sample_attributes(9, Split::kHeldout);
  CheckResult r = compare(e, e);
  EXPECT_EQ(r.checked, 10);
  EXPECT_EQ(r.correct, 10);
  EXPECT_DOUBLE_EQ(r.fraction, 1.0);
  EXPECT_EQ(r.wrong(), "");
  SceneAttributes read = e;
  read.subject = SubjectKind::kNone;
  r = compare(read, e);
  EXPECT_EQ(r.correct, 5);
  EXPECT_EQ(r.wrong(), "subject_present,subject_kind,colour,position,size");
}

}  // namespace
}  // namespace amused::scenes
