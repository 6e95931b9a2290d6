// resize(): checked on properties that must hold for any sane resampler, plus the area
// filter's defining property (a 2x downscale averages 2x2 blocks).
#include <gtest/gtest.h>

#include "resize.h"
#include "test_util.h"

namespace amused::media {
namespace {

using testing::expect_error;
using testing::make_image;

struct Size {
  int w, h;
};
const Size kSizes[] = {{17, 13}, {32, 24}, {64, 48}, {100, 75}, {200, 150}, {1, 1}, {130, 20}};

Image constant(int w, int h, int channels, std::initializer_list<uint8_t> value) {
  Image img = make_image(w, h, channels);
  for (size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = value.begin()[i % channels];
  return img;
}

TEST(Resize, SizesAndChannels) {
  for (int channels : {1, 3}) {
    const Image src = constant(64, 48, channels, {10, 20, 30});
    for (const Size s : kSizes) {
      const Image out = resize(src, s.w, s.h);
      EXPECT_EQ(out.width, s.w);
      EXPECT_EQ(out.height, s.h);
      EXPECT_EQ(out.channels, channels);
      EXPECT_EQ(out.pixels.size(), static_cast<size_t>(s.w) * s.h * channels);
    }
  }
}

TEST(Resize, ConstantStaysExactlyConstant) {
  for (int channels : {1, 3}) {
    const Image src = constant(64, 48, channels, {200, 17, 96});
    for (const Size s : kSizes) {
      const Image out = resize(src, s.w, s.h);
      EXPECT_EQ(out.pixels, constant(s.w, s.h, channels, {200, 17, 96}).pixels)
          << channels << " channels to " << s.w << "x" << s.h;
    }
  }
}

// Horizontal ramp in red (rising), vertical ramp in blue (rising), green falling with x.
Image gradient(int w, int h) {
  Image img = make_image(w, h, 3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      uint8_t *p = &img.pixels[(y * w + x) * 3];
      p[0] = static_cast<uint8_t>(x * 255 / (w - 1));
      p[1] = static_cast<uint8_t>(255 - x * 255 / (w - 1));
      p[2] = static_cast<uint8_t>(y * 255 / (h - 1));
    }
  }
  return img;
}

TEST(Resize, GradientStaysMonotonic) {
  const Image src = gradient(64, 48);
  for (const Size s : kSizes) {
    if (s.w < 2 || s.h < 2) continue;
    const Image out = resize(src, s.w, s.h);
    auto at = [&](int x, int y, int c) { return out.pixels[(y * s.w + x) * 3 + c]; };
    for (int y = 0; y < s.h; ++y) {
      for (int x = 1; x < s.w; ++x) {
        ASSERT_GE(at(x, y, 0), at(x - 1, y, 0)) << s.w << "x" << s.h << " at " << x << "," << y;
        ASSERT_LE(at(x, y, 1), at(x - 1, y, 1)) << s.w << "x" << s.h << " at " << x << "," << y;
      }
    }
    for (int x = 0; x < s.w; ++x) {
      for (int y = 1; y < s.h; ++y) {
        ASSERT_GE(at(x, y, 2), at(x, y - 1, 2)) << s.w << "x" << s.h << " at " << x << "," << y;
      }
    }
    // The ramps still span most of the range: nothing collapsed.
    EXPECT_LT(at(0, 0, 0), 40);
    EXPECT_GT(at(s.w - 1, 0, 0), 215);
  }
}

TEST(Resize, ChannelsDoNotMix) {
  // Pure red stays pure red: no YUV round trip bleeding into G and B.
  const Image out = resize(constant(30, 20, 3, {255, 0, 0}), 47, 9);
  EXPECT_EQ(out.pixels, constant(47, 9, 3, {255, 0, 0}).pixels);
  const Image stripes = [] {
    Image img = make_image(16, 16, 3);
    for (int y = 0; y < 16; ++y)
      for (int x = 0; x < 16; ++x) img.pixels[(y * 16 + x) * 3 + (x % 2 ? 0 : 2)] = 255;
    return img;
  }();
  const Image small = resize(stripes, 8, 8);
  for (size_t i = 0; i < small.pixels.size(); i += 3) EXPECT_EQ(small.pixels[i + 1], 0);
}

TEST(Resize, HalvingAveragesBlocks) {
  Image src = make_image(8, 6, 1);
  for (size_t i = 0; i < src.pixels.size(); ++i) src.pixels[i] = static_cast<uint8_t>(i * 5);
  const Image out = resize(src, 4, 3);
  for (int y = 0; y < 3; ++y) {
    for (int x = 0; x < 4; ++x) {
      auto s = [&](int dx, int dy) { return src.pixels[(2 * y + dy) * 8 + 2 * x + dx]; };
      const double mean = (s(0, 0) + s(1, 0) + s(0, 1) + s(1, 1)) / 4.0;
      EXPECT_NEAR(out.pixels[y * 4 + x], mean, 1.0) << x << "," << y;
    }
  }
}

TEST(Resize, SameSizeIsACopy) {
  const Image src = gradient(20, 10);
  EXPECT_EQ(resize(src, 20, 10).pixels, src.pixels);
}

TEST(Resize, RoundTripIsClose) {
  // Up by 2 (bicubic) and back down (area): a smooth image survives nearly unchanged.
  const Image src = gradient(32, 24);
  const Image back = resize(resize(src, 64, 48), 32, 24);
  EXPECT_GT(testing::psnr(src, back), 35.0);
}

TEST(Resize, BadArguments) {
  const Image src = make_image(4, 4, 3);
  expect_error([&] { resize(src, 0, 4); }, {"invalid target size"});
  expect_error([&] { resize(make_image(4, 4, 2), 2, 2); }, {"channel"});
  Image broken = src;
  broken.pixels.resize(5);
  expect_error([&] { resize(broken, 2, 2); }, {"inconsistent"});
}

}  // namespace
}  // namespace amused::media
