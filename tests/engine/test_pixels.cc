// The engine's pixel path: resize_image() checked on properties that must hold for any sane
// resampler plus the area filter's defining property (a 2x downscale averages 2x2 blocks);
// mask_from_rgba() against the PIL rule it follows.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <initializer_list>
#include <string>

#include "amused.h"

namespace amused {
namespace {

Image make_image(int w, int h, int channels) {
  Image img;
  img.width = w;
  img.height = h;
  img.channels = channels;
  img.pixels.assign(static_cast<size_t>(w) * h * channels, 0);
  return img;
}

double psnr(const Image &a, const Image &b) {
  double se = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) {
    const double d = double(a.pixels[i]) - double(b.pixels[i]);
    se += d * d;
  }
  const double mse = se / static_cast<double>(a.pixels.size());
  return mse == 0 ? 99.0 : 10.0 * std::log10(255.0 * 255.0 / mse);
}

void expect_error(const std::function<void()> &fn, std::initializer_list<const char *> parts) {
  try {
    fn();
    ADD_FAILURE() << "no error";
  } catch (const Error &e) {
    for (const char *part : parts)
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

Image resize(const Image &image, int w, int h) { return resize_image(image, w, h); }

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
  EXPECT_GT(psnr(src, back), 35.0);
}

TEST(Resize, BadArguments) {
  const Image src = make_image(4, 4, 3);
  expect_error([&] { resize(src, 0, 4); }, {"cannot resize to 0x4"});
  expect_error([&] { resize(make_image(4, 4, 2), 2, 2); }, {"2 channels"});
  Image broken = src;
  broken.pixels.resize(5);
  expect_error([&] { resize(broken, 2, 2); }, {"does not match"});
}

TEST(Resize, FourChannelsAndMasks) {
  const Image rgba = constant(10, 10, 4, {1, 2, 3, 4});
  EXPECT_EQ(resize(rgba, 5, 7).pixels, constant(5, 7, 4, {1, 2, 3, 4}).pixels);
}

Image rgba(int w, int h, const std::function<void(int, int, uint8_t *)> &paint) {
  Image img = make_image(w, h, 4);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) paint(x, y, &img.pixels[(y * w + x) * 4]);
  return img;
}

TEST(MaskFromRgba, GrayGivesItsValue) {
  const Image m = mask_from_rgba(rgba(4, 3, [](int x, int y, uint8_t *p) {
    p[0] = p[1] = p[2] = static_cast<uint8_t>(x * 60 + y);
    p[3] = 255;
  }));
  ASSERT_EQ(m.channels, 1);
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 4; ++x) EXPECT_EQ(m.pixels[y * 4 + x], x * 60 + y);
}

TEST(MaskFromRgba, ColourGivesPilLuminance) {
  // PIL: L = R * 299/1000 + G * 587/1000 + B * 114/1000, in L24 fixed point.
  const Image m = mask_from_rgba(rgba(2, 1, [](int x, int, uint8_t *p) {
    p[0] = x ? 255 : 0;
    p[1] = x ? 0 : 255;
    p[2] = 0;
    p[3] = 255;
  }));
  EXPECT_EQ(m.pixels[0], 150);  // pure green: 255 * 0.587 = 149.7
  EXPECT_EQ(m.pixels[1], 76);   // pure red: 255 * 0.299 = 76.2
}

TEST(MaskFromRgba, UniformColourWithVaryingAlphaIsAnAlphaMask) {
  const Image m = mask_from_rgba(rgba(3, 1, [](int x, int, uint8_t *p) {
    p[0] = 200;
    p[1] = 10;
    p[2] = 10;
    p[3] = static_cast<uint8_t>(x * 100);
  }));
  EXPECT_EQ(m.pixels, (std::vector<uint8_t>{0, 100, 200}));
}

TEST(MaskFromRgba, RefusesOtherChannelCounts) {
  expect_error([] { mask_from_rgba(make_image(2, 2, 3)); }, {"expected 4 channels, got 3"});
}

}  // namespace
}  // namespace amused
