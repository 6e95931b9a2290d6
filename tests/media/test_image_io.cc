// PNG reading (every colour type / depth the fixtures cover), masks, writing and errors.
// The fixtures come from tests/data/media/make_pngs.py; the expected pixels below are
// computed with the same formulas.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include "image_io.h"
#include "test_util.h"

namespace amused::media {
namespace {

using testing::data_path;
using testing::expect_error;
using testing::make_image;
using testing::TempDir;

constexpr int kW = 4, kH = 3;

Image expected_rgb() {
  Image img = make_image(kW, kH, 3);
  for (int y = 0; y < kH; ++y) {
    for (int x = 0; x < kW; ++x) {
      uint8_t *p = &img.pixels[(y * kW + x) * 3];
      p[0] = (x * 80) % 256;
      p[1] = (y * 100 + 20) % 256;
      p[2] = (x * 30 + y * 60) % 256;
    }
  }
  return img;
}

Image expected_gray() {
  Image img = make_image(kW, kH, 1);
  for (int y = 0; y < kH; ++y)
    for (int x = 0; x < kW; ++x) img.pixels[y * kW + x] = (x * 70 + y * 20) % 256;
  return img;
}

Image expected_alpha() {
  Image img = make_image(kW, kH, 1);
  for (int y = 0; y < kH; ++y)
    for (int x = 0; x < kW; ++x) img.pixels[y * kW + x] = (x * 85 + y * 5) % 256;
  return img;
}

Image gray_to_rgb(const Image &g) {
  Image img = make_image(g.width, g.height, 3);
  for (size_t i = 0; i < g.pixels.size(); ++i) {
    for (int c = 0; c < 3; ++c) img.pixels[i * 3 + c] = g.pixels[i];
  }
  return img;
}

// PIL's convert("L").
Image pil_luma(const Image &rgb) {
  Image img = make_image(rgb.width, rgb.height, 1);
  for (size_t i = 0; i < img.pixels.size(); ++i) {
    const uint8_t *p = &rgb.pixels[i * 3];
    img.pixels[i] = (p[0] * 19595 + p[1] * 38470 + p[2] * 7471 + 0x8000) >> 16;
  }
  return img;
}

void expect_same(const Image &got, const Image &want) {
  EXPECT_EQ(got.width, want.width);
  EXPECT_EQ(got.height, want.height);
  EXPECT_EQ(got.channels, want.channels);
  EXPECT_EQ(got.pixels, want.pixels);
}

TEST(ReadImage, Rgb8) { expect_same(read_image(data_path("rgb8.png")), expected_rgb()); }

TEST(ReadImage, InterlacedMatchesProgressive) {
  expect_same(read_image(data_path("rgb8_interlaced.png")), expected_rgb());
}

TEST(ReadImage, AlphaIsDroppedNotComposited) {
  // PIL's convert("RGB") keeps the colour under transparent pixels; so do we.
  expect_same(read_image(data_path("rgba8.png")), expected_rgb());
}

TEST(ReadImage, SixteenBitWithoutGammaIsSrgb) {
  // Samples are v * 257, so an sRGB interpretation gives v back exactly (a linear one,
  // libpng's default, would brighten everything).
  expect_same(read_image(data_path("rgb16.png")), expected_rgb());
  expect_same(read_image(data_path("gray16.png")), gray_to_rgb(expected_gray()));
}

TEST(ReadImage, GrayExpandsToRgb) {
  expect_same(read_image(data_path("gray8.png")), gray_to_rgb(expected_gray()));
}

TEST(ReadImage, OneBitGray) {
  Image want = expected_gray();
  for (uint8_t &v : want.pixels) v = v >= 128 ? 255 : 0;
  expect_same(read_image(data_path("gray1.png")), gray_to_rgb(want));
}

TEST(ReadImage, TwoBitPaletteWithTransparency) {
  const uint8_t palette[4][3] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {200, 100, 50}};
  Image want = make_image(kW, kH, 3);
  for (int y = 0; y < kH; ++y)
    for (int x = 0; x < kW; ++x)
      for (int c = 0; c < 3; ++c) want.pixels[(y * kW + x) * 3 + c] = palette[(x + y) % 4][c];
  expect_same(read_image(data_path("palette2.png")), want);
}

TEST(ReadMask, GrayValue) {
  expect_same(read_mask(data_path("gray8.png")), expected_gray());
  expect_same(read_mask(data_path("gray16.png")), expected_gray());
}

TEST(ReadMask, GrayWithVaryingAlphaUsesGray) {
  expect_same(read_mask(data_path("graya8.png")), expected_gray());
}

TEST(ReadMask, AlphaOnly) {
  expect_same(read_mask(data_path("graya8_alpha_mask.png")), expected_alpha());
  expect_same(read_mask(data_path("rgba8_alpha_mask.png")), expected_alpha());
}

TEST(ReadMask, ColourGivesPilLuminance) {
  expect_same(read_mask(data_path("rgb8.png")), pil_luma(expected_rgb()));
  expect_same(read_mask(data_path("rgba8.png")), pil_luma(expected_rgb()));
}

TEST(WritePng, RgbRoundTrip) {
  TempDir dir;
  std::mt19937 rng(1);
  Image img = make_image(37, 23, 3);  // odd sizes: no row padding assumptions
  for (uint8_t &v : img.pixels) v = rng() & 0xff;
  write_png(dir / "rgb.png", img);
  expect_same(read_image(dir / "rgb.png"), img);
}

TEST(WritePng, MaskRoundTrip) {
  TempDir dir;
  Image mask = make_image(17, 9, 1);
  for (size_t i = 0; i < mask.pixels.size(); ++i) mask.pixels[i] = (i * 37) & 0xff;
  write_png(dir / "mask.png", mask);
  expect_same(read_mask(dir / "mask.png"), mask);
  // A gray PNG read as an image is the gray value in every channel.
  expect_same(read_image(dir / "mask.png"), gray_to_rgb(mask));
}

TEST(WritePng, OverwritesExistingFile) {
  TempDir dir;
  Image a = make_image(2, 2, 3), b = make_image(3, 1, 3);
  b.pixels.assign(b.pixels.size(), 9);
  write_png(dir / "x.png", a);
  write_png(dir / "x.png", b);
  expect_same(read_image(dir / "x.png"), b);
}

TEST(Errors, MissingFile) {
  const auto path = data_path("no_such_file.png");
  expect_error([&] { read_image(path); }, {path.string(), "No such file or directory"});
  expect_error([&] { read_mask(path); }, {path.string(), "No such file or directory"});
}

TEST(Errors, TextFileNamedPng) {
  const auto path = data_path("not_a_png.png");
  expect_error([&] { read_image(path); }, {path.string(), "not a PNG"});
}

TEST(Errors, EmptyFile) {
  TempDir dir;
  std::ofstream(dir / "empty.png").close();
  expect_error([&] { read_image(dir / "empty.png"); }, {"empty.png", "not a PNG", "empty"});
}

TEST(Errors, TruncatedPng) {
  const auto path = data_path("truncated.png");
  expect_error([&] { read_image(path); }, {path.string(), "truncated or corrupt"});
}

TEST(Errors, CorruptCrc) {
  TempDir dir;
  std::ifstream in(data_path("rgb8.png"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  bytes[bytes.find("IDAT") + 6] ^= 0x55;  // flip bits inside the compressed data
  std::ofstream(dir / "bad.png", std::ios::binary) << bytes;
  expect_error([&] { read_image(dir / "bad.png"); }, {"bad.png"});
}

TEST(Errors, HugeDimensionsAreRefusedBeforeAllocating) {
  const auto path = data_path("huge_header.png");
  expect_error([&] { read_image(path); }, {path.string(), "too large", "20000x20000"});
}

TEST(Errors, Directory) {
  TempDir dir;
  expect_error([&] { read_image(dir.path()); }, {dir.path().string(), "directory"});
}

TEST(Errors, UnwritablePaths) {
  TempDir dir;
  const Image img = make_image(2, 2, 3);
  const auto missing_dir = dir / "no/such/dir/out.png";
  expect_error([&] { write_png(missing_dir, img); },
               {missing_dir.string(), "No such file or directory"});
  std::ofstream(dir / "file").close();
  const auto under_file = dir / "file" / "out.png";
  expect_error([&] { write_png(under_file, img); }, {under_file.string(), "Not a directory"});
}

TEST(Errors, ReadOnlyDirectory) {
  if (geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  TempDir dir;
  std::filesystem::create_directory(dir / "ro");
  std::filesystem::permissions(
      dir / "ro", std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  expect_error([&] { write_png(dir / "ro" / "out.png", make_image(2, 2, 3)); },
               {"ro/out.png", "Permission denied"});
  std::filesystem::permissions(dir / "ro", std::filesystem::perms::owner_all);
}

TEST(Errors, BadImages) {
  TempDir dir;
  const auto path = dir / "x.png";
  expect_error([&] { write_png(path, make_image(2, 2, 4)); }, {path.string(), "4 channels"});
  expect_error([&] { write_png(path, make_image(0, 2, 3)); }, {path.string(), "empty"});
  Image short_buffer = make_image(4, 4, 3);
  short_buffer.pixels.resize(10);
  expect_error([&] { write_png(path, short_buffer); }, {path.string(), "10 bytes"});
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace amused::media
