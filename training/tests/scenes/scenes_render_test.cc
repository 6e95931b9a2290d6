// Rendering: determinism, sizes, panoramas and pans.
#include <gtest/gtest.h>

#include <algorithm>
#include <utility>

#include "degrade.h"
#include "training/scenes.h"

namespace amused::scenes {
namespace {

using testing::crop_columns;
using testing::difference;

TEST(ScenesRender, SameSeedGivesIdenticalPixels) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const SceneAttributes a = sample_attributes(seed, Split::kTrain);
    const Image x = render(a, seed, 128, 128);
    const Image y = render(a, seed, 128, 128);
    ASSERT_EQ(x.width, 128);
    ASSERT_EQ(x.height, 128);
    ASSERT_EQ(x.channels, 3);
    ASSERT_EQ(x.pixels.size(), 128u * 128u * 3u);
    EXPECT_EQ(x.pixels, y.pixels) << "seed " << seed;
  }
}

TEST(ScenesRender, DifferentSeedsGiveDifferentLayouts) {
  const SceneAttributes a = sample_attributes(7, Split::kTrain);
  const Image x = render(a, 7, 128, 128);
  const Image y = render(a, 8, 128, 128);
  EXPECT_GT(difference(x, y).mean, 0.5);
}

TEST(ScenesRender, AnySize) {
  const SceneAttributes a = sample_attributes(1, Split::kHeldout);
  for (auto [w, h] : {std::pair{64, 64}, {256, 256}, {512, 128}, {200, 90}}) {
    const Image img = render(a, 1, w, h);
    EXPECT_EQ(img.width, w);
    EXPECT_EQ(img.height, h);
    EXPECT_EQ(img.pixels.size(), size_t(w) * h * 3);
  }
  EXPECT_THROW(render(a, 1, 0, 128), Error);
  EXPECT_THROW(render(a, 1, 128, -1), Error);
}

// Geometry is in units of the image height: a 256 render box-filtered to 128 looks like the
// 128 render.
TEST(ScenesRender, ScaleFree) {
  for (uint64_t seed = 0; seed < 5; ++seed) {
    const SceneAttributes a = sample_attributes(seed, Split::kTrain);
    const Image big = render(a, seed, 256, 256);
    const Image small = render(a, seed, 128, 128);
    // Compare on the 128 grid: average 2x2 blocks of the big render.
    Image half;
    half.width = half.height = 128;
    half.pixels.resize(128 * 128 * 3);
    for (int y = 0; y < 128; ++y)
      for (int x = 0; x < 128; ++x)
        for (int c = 0; c < 3; ++c) {
          int s = 0;
          for (int dy = 0; dy < 2; ++dy)
            for (int dx = 0; dx < 2; ++dx)
              s += big.pixels[((2 * y + dy) * 256 + 2 * x + dx) * 3 + c];
          half.pixels[(y * 128 + x) * 3 + c] = uint8_t((s + 2) / 4);
        }
    EXPECT_LT(difference(half, small).mean, 4.0) << a.to_caption();
  }
}

// The central frame of a 4x wide panorama is the 128x128 training frame, and a pan shows the
// panorama shifted by the pan offset: one world, whatever the view.
TEST(ScenesRender, PanoramaContainsTheFrameAndPansAcrossIt) {
  for (uint64_t seed = 0; seed < 12; ++seed) {
    const SceneAttributes a = sample_attributes(seed, Split::kTrain);
    SCOPED_TRACE(a.to_caption());
    const Image pano = render(a, seed, 512, 128);
    const Image frame = render(a, seed, 128, 128);
    const testing::Difference centre = difference(crop_columns(pano, 192, 128), frame);
    EXPECT_LT(centre.mean, 0.05);
    EXPECT_LE(centre.max, 3);
    for (int pan : {-192, -64, 37, 192}) {
      const Image view = render(a, seed, 128, 128, pan);
      const testing::Difference d = difference(crop_columns(pano, 192 + pan, 128), view);
      EXPECT_LT(d.mean, 0.05) << "pan " << pan;
      EXPECT_LE(d.max, 3) << "pan " << pan;
    }
  }
}

// The landscape continues to the sides: the outer frames of a panorama are not empty sky.
TEST(ScenesRender, PanoramaContinuesTheBackdrop) {
  SceneAttributes a = sample_attributes(4, Split::kTrain);
  a.backdrop = Backdrop::kCity;
  a.subject = SubjectKind::kNone;
  a = a.normalized();
  const Image pano = render(a, 4, 512, 128);
  for (int x0 : {0, 384}) {
    const Image side = crop_columns(pano, x0, 128);
    // Compare with the same scene without a backdrop: the skyline must be there.
    SceneAttributes bare = a;
    bare.backdrop = Backdrop::kNone;
    const Image bare_side = crop_columns(render(bare, 4, 512, 128), x0, 128);
    EXPECT_GT(difference(side, bare_side).mean, 5.0) << "x0 " << x0;
  }
}

TEST(ScenesRender, AttributesOnlyChangeTheirOwnElement) {
  SceneAttributes a = sample_attributes(11, Split::kHeldout);
  SceneAttributes b = a;
  b.colour = a.colour == Colour::kRed ? Colour::kBlue : Colour::kRed;
  const Image x = render(a, 11, 128, 128), y = render(b, 11, 128, 128);
  // Only subject pixels differ: the rows above the horizon are identical.
  const size_t sky_bytes = 128u * 64u * 3u;
  EXPECT_TRUE(std::equal(x.pixels.begin(), x.pixels.begin() + sky_bytes, y.pixels.begin()));
  EXPECT_NE(x.pixels, y.pixels);
}

}  // namespace
}  // namespace amused::scenes
