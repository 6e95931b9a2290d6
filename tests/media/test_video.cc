// VideoWriter + VideoReader: every codec is written, decoded back with VideoReader and
// cross-checked with ffprobe (when installed): frame count, size, frame rate, duration,
// codec, and closeness of the decoded frames to what was written.
#include <gtest/gtest.h>
#include <stdio.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "ffmpeg_log.h"
#include "image_io.h"
#include "test_util.h"
#include "video_reader.h"
#include "video_writer.h"

namespace amused::media {
namespace {

using namespace testing;  // test_util.h: TempDir, make_image, expect_error, ...

// libx264's statistics would drown the test output; errors still show.
const bool kQuietFfmpeg = (set_ffmpeg_log_level(FfmpegLogLevel::kError), true);

constexpr int kW = 64, kH = 48, kFrames = 24;
constexpr Rational kRate{8, 1};

// A smooth pattern that moves every frame: a horizontal sine drifting right in red, a
// vertical cosine drifting up in green, and a soft blob crossing the frame in blue.
Image pattern(int i, int w = kW, int h = kH) {
  Image img = make_image(w, h, 3);
  const double pi = 3.14159265358979;
  const double bx = 8 + 2.0 * i, by = h / 2.0;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      uint8_t *p = &img.pixels[(y * w + x) * 3];
      p[0] = static_cast<uint8_t>(128 + 100 * std::sin(2 * pi * (x / 32.0 - i / 24.0)));
      p[1] = static_cast<uint8_t>(128 + 100 * std::cos(2 * pi * (y / 24.0 + i / 24.0)));
      const double d2 = (x - bx) * (x - bx) + (y - by) * (y - by);
      p[2] = static_cast<uint8_t>(40 + 180 * std::exp(-d2 / (2 * 6.0 * 6.0)));
    }
  }
  return img;
}

// ffprobe's view of a file as key=value pairs; empty when ffprobe is not installed.
std::map<std::string, std::string> ffprobe(const std::filesystem::path &file) {
  std::map<std::string, std::string> out;
  // meson sets AMUSED_FFPROBE (empty when not found); run by hand, take it from PATH.
  const char *env = std::getenv("AMUSED_FFPROBE");
  const std::string bin = env != nullptr ? env : "ffprobe";
  if (bin.empty() || (env == nullptr && std::system("ffprobe -version >/dev/null 2>&1") != 0)) {
    return out;
  }
  const std::string cmd = bin +
                          " -v error -select_streams v:0 -count_frames -show_entries "
                          "stream=codec_name,width,height,nb_read_frames,avg_frame_rate,"
                          "r_frame_rate,pix_fmt:format=duration -of default=noprint_wrappers=1 '" +
                          file.string() + "'";
  FILE *p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char line[512];
  while (fgets(line, sizeof line, p) != nullptr) {
    std::string s(line);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    const size_t eq = s.find('=');
    if (eq != std::string::npos) out[s.substr(0, eq)] = s.substr(eq + 1);
  }
  pclose(p);
  return out;
}

struct Case {
  VideoCodec codec;
  const char *ext;
  const char *codec_name;  // as FFmpeg reports it
  const char *pix_fmt;
  // Lowest acceptable per-frame PSNR (dB, RGB). Measured worst frames at the default
  // quality: H.264 CRF 18 37.7, MPEG-4 q3 38.2, ProRes HQ 50.3; the 8-bit 4:2:0 conversion
  // alone (x264 lossless) caps H.264/MPEG-4 at 44.7. Thresholds sit ~3 dB below, so a lost
  // colour tag (BT.601 vs 709: ~25 dB) or a frame off by one (~12 dB) fails loudly.
  double min_psnr;
};

std::ostream &operator<<(std::ostream &os, const Case &c) {
  return os << to_string(c.codec) << c.ext;
}

class VideoRoundTrip : public ::testing::TestWithParam<Case> {};

TEST_P(VideoRoundTrip, WriteDecodeProbe) {
  const Case c = GetParam();
  TempDir dir;
  const auto file = dir / (std::string("clip") + c.ext);
  std::vector<Image> written;
  {
    VideoWriterOptions opts;
    opts.codec = c.codec;
    VideoWriter w(file, kW, kH, kRate, opts);
    for (int i = 0; i < kFrames; ++i) {
      written.push_back(pattern(i));
      w.write(written.back());
    }
    EXPECT_EQ(w.frames_written(), kFrames);
    w.finish();
    EXPECT_FALSE(w.is_open());
  }

  VideoReader r(file);
  EXPECT_EQ(r.width(), kW);
  EXPECT_EQ(r.height(), kH);
  EXPECT_EQ(r.framerate(), kRate);
  EXPECT_EQ(r.codec_name(), c.codec_name);
  ASSERT_TRUE(r.duration().has_value());
  EXPECT_NEAR(*r.duration(), kFrames / kRate.value(), 1.0 / kRate.value());
  if (r.frame_count()) {
    EXPECT_EQ(*r.frame_count(), kFrames);
  }

  Image frame, previous;
  double worst = INFINITY, sum = 0;
  int n = 0;
  while (r.read(frame)) {
    ASSERT_LT(n, kFrames) << "more frames decoded than written";
    ASSERT_EQ(frame.width, kW);
    ASSERT_EQ(frame.height, kH);
    ASSERT_EQ(frame.channels, 3);
    EXPECT_NEAR(r.timestamp(), n / kRate.value(), 1e-6) << "frame " << n;
    const double p = testing::psnr(frame, written[n]);
    worst = std::min(worst, p);
    sum += p;
    EXPECT_GT(testing::stddev(frame), 20.0) << "frame " << n << " is flat";
    if (n > 0) {
      EXPECT_GT(testing::mean_abs_diff(frame, previous), 2.0) << "frame " << n;
    }
    previous = frame;
    ++n;
  }
  EXPECT_EQ(n, kFrames);
  EXPECT_EQ(r.frames_read(), kFrames);
  std::printf("[ PSNR     ] %s%s: mean %.2f dB, worst %.2f dB\n", to_string(c.codec), c.ext,
              sum / std::max(n, 1), worst);
  EXPECT_GT(worst, c.min_psnr);

  const auto probe = ffprobe(file);
  if (probe.empty()) {
    std::printf("ffprobe not available: container cross-check skipped\n");
    return;
  }
  EXPECT_EQ(probe.at("codec_name"), c.codec_name);
  EXPECT_EQ(probe.at("width"), std::to_string(kW));
  EXPECT_EQ(probe.at("height"), std::to_string(kH));
  EXPECT_EQ(probe.at("pix_fmt"), c.pix_fmt);
  EXPECT_EQ(probe.at("nb_read_frames"), std::to_string(kFrames));
  EXPECT_EQ(probe.at("avg_frame_rate"), "8/1");
  EXPECT_EQ(probe.at("r_frame_rate"), "8/1");
  EXPECT_NEAR(std::stod(probe.at("duration")), 3.0, 1.0 / kRate.value());
}

INSTANTIATE_TEST_SUITE_P(
    Codecs, VideoRoundTrip,
    ::testing::Values(Case{VideoCodec::kH264, ".mp4", "h264", "yuv420p", 35.0},
                      Case{VideoCodec::kMpeg4, ".mp4", "mpeg4", "yuv420p", 35.0},
                      Case{VideoCodec::kProRes, ".mov", "prores", "yuv422p10le", 47.0},
                      Case{VideoCodec::kH264, ".mkv", "h264", "yuv420p", 35.0},
                      Case{VideoCodec::kMpeg4, ".mov", "mpeg4", "yuv420p", 35.0},
                      Case{VideoCodec::kProRes, ".mkv", "prores", "yuv422p10le", 47.0}),
    [](const ::testing::TestParamInfo<Case> &info) {
      return std::string(to_string(info.param.codec)) + "_" + (info.param.ext + 1);
    });

TEST(VideoWriter, NtscFrameRate) {
  TempDir dir;
  const Rational ntsc{30000, 1001};
  {
    VideoWriter w(dir / "ntsc.mov", kW, kH, ntsc);
    for (int i = 0; i < 12; ++i) w.write(pattern(i));
  }
  VideoReader r(dir / "ntsc.mov");
  EXPECT_EQ(r.framerate(), ntsc);
  EXPECT_NEAR(*r.duration(), 12 * 1001 / 30000.0, 1e-3);
  Image f;
  int n = 0;
  while (r.read(f)) {
    EXPECT_NEAR(r.timestamp(), n * 1001 / 30000.0, 1e-3);
    ++n;
  }
  EXPECT_EQ(n, 12);
}

TEST(VideoWriter, DestructorFinishesTheFile) {
  TempDir dir;
  {
    VideoWriter w(dir / "auto.mp4", kW, kH, kRate);
    for (int i = 0; i < 5; ++i) w.write(pattern(i));
  }
  VideoReader r(dir / "auto.mp4");
  Image f;
  int n = 0;
  while (r.read(f)) ++n;
  EXPECT_EQ(n, 5);
}

// Decodes `file` and returns the mean PSNR against pattern(i).
double mean_psnr(const std::filesystem::path &file) {
  VideoReader r(file);
  Image f;
  double sum = 0;
  int n = 0;
  while (r.read(f)) sum += testing::psnr(f, pattern(n++));
  return n > 0 ? sum / n : 0;
}

TEST(VideoWriter, QualityIsHonoured) {
  TempDir dir;
  struct {
    VideoCodec codec;
    int better, worse;
  } const cases[] = {
      {VideoCodec::kH264, 10, 35}, {VideoCodec::kMpeg4, 1, 20}, {VideoCodec::kProRes, 3, 0}};
  for (const auto &c : cases) {
    const VideoCodec codec = c.codec;
    double psnr[2];
    for (int k = 0; k < 2; ++k) {
      VideoWriterOptions opts;
      opts.codec = codec;
      opts.quality = k == 0 ? c.better : c.worse;
      const auto file = dir / ("q" + std::to_string(k) + ".mkv");
      {
        VideoWriter w(file, kW, kH, kRate, opts);
        for (int i = 0; i < 6; ++i) w.write(pattern(i));
      }
      psnr[k] = mean_psnr(file);
    }
    std::printf("[ PSNR     ] %s quality %d: %.2f dB, quality %d: %.2f dB\n", to_string(codec),
                c.better, psnr[0], c.worse, psnr[1]);
    EXPECT_GT(psnr[0], psnr[1] + 3.0) << to_string(codec);
  }
}

TEST(VideoWriter, GrayFramesAndBitRate) {
  TempDir dir;
  VideoWriterOptions opts;
  opts.codec = VideoCodec::kMpeg4;
  opts.bit_rate = 400000;
  Image gray = make_image(kW, kH, 1);
  for (size_t i = 0; i < gray.pixels.size(); ++i) gray.pixels[i] = (i % kW) * 4;
  {
    VideoWriter w(dir / "gray.mkv", kW, kH, kRate, opts);
    for (int i = 0; i < 4; ++i) w.write(gray);
  }
  VideoReader r(dir / "gray.mkv");
  Image f;
  ASSERT_TRUE(r.read(f));
  // Decoded gray has R = G = B close to the input value.
  for (int x = 0; x < kW; x += 9) {
    const uint8_t *p = &f.pixels[(kH / 2 * kW + x) * 3];
    EXPECT_NEAR(p[0], x * 4, 8);
    EXPECT_NEAR(p[1], x * 4, 8);
    EXPECT_NEAR(p[2], x * 4, 8);
  }
}

TEST(VideoWriter, OddSizes) {
  TempDir dir;
  for (auto codec : {VideoCodec::kH264, VideoCodec::kMpeg4}) {
    VideoWriterOptions opts;
    opts.codec = codec;
    const auto file = dir / "odd.mkv";
    expect_error([&] { VideoWriter(file, 65, 48, kRate, opts); },
                 {file.string(), "even width and height", "65x48"});
    expect_error([&] { VideoWriter(file, 64, 47, kRate, opts); }, {"64x47"});
    EXPECT_FALSE(std::filesystem::exists(file));
  }
  // ProRes (4:2:2) needs an even width only.
  VideoWriterOptions prores;
  prores.codec = VideoCodec::kProRes;
  expect_error([&] { VideoWriter(dir / "odd.mov", 65, 48, kRate, prores); },
               {"odd.mov", "needs an even width,", "65x48"});
  {
    VideoWriter w(dir / "odd.mov", 64, 49, kRate, prores);
    for (int i = 0; i < 3; ++i) w.write(pattern(i, 64, 49));
  }
  VideoReader r(dir / "odd.mov");
  Image f;
  ASSERT_TRUE(r.read(f));
  EXPECT_EQ(f.width, 64);
  EXPECT_EQ(f.height, 49);
  EXPECT_GT(testing::psnr(f, pattern(0, 64, 49)), 45.0);
}

TEST(VideoWriter, ContainerCodecMismatch) {
  TempDir dir;
  VideoWriterOptions opts;
  opts.codec = VideoCodec::kProRes;
  expect_error([&] { VideoWriter(dir / "x.mp4", kW, kH, kRate, opts); },
               {"x.mp4", "ProRes cannot be stored in an .mp4"});
  expect_error([&] { VideoWriter(dir / "x.avi", kW, kH, kRate); },
               {"x.avi", "unsupported video file extension '.avi'"});
  expect_error([&] { VideoWriter(dir / "noext", kW, kH, kRate); }, {"unsupported"});
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(VideoWriter, UnwritablePaths) {
  TempDir dir;
  const auto missing = dir / "no/such/dir/out.mp4";
  expect_error([&] { VideoWriter(missing, kW, kH, kRate); },
               {missing.string(), "cannot open for writing", "No such file or directory"});
  std::ofstream(dir / "file").close();
  const auto under_file = dir / "file" / "out.mkv";
  expect_error([&] { VideoWriter(under_file, kW, kH, kRate); },
               {under_file.string(), "Not a directory"});
}

TEST(VideoWriter, BadArgumentsAndMisuse) {
  TempDir dir;
  const auto file = dir / "x.mp4";
  expect_error([&] { VideoWriter(file, kW, kH, Rational{0, 1}); }, {"invalid frame rate 0/1"});
  expect_error([&] { VideoWriter(file, 0, kH, kRate); }, {"invalid video size"});
  VideoWriterOptions bad;
  bad.quality = 60;
  expect_error([&] { VideoWriter(file, kW, kH, kRate, bad); }, {"CRF"});
  bad.codec = VideoCodec::kProRes;
  bad.quality = -1;
  bad.bit_rate = 1000000;
  expect_error([&] { VideoWriter(dir / "x.mov", kW, kH, kRate, bad); }, {"bit rate"});
  VideoWriterOptions preset;
  preset.x264_preset = "warp-speed";
  expect_error([&] { VideoWriter(file, kW, kH, kRate, preset); }, {file.string(), "libx264"});
  EXPECT_FALSE(std::filesystem::exists(file));

  VideoWriter w(file, kW, kH, kRate);
  expect_error([&] { w.write(make_image(32, 32, 3)); }, {file.string(), "32x32", "64x48"});
  expect_error([&] { w.write(make_image(kW, kH, 4)); }, {"not a packed RGB8"});
  w.write(pattern(0));
  w.finish();
  w.finish();  // harmless
  expect_error([&] { w.write(pattern(1)); }, {"write after finish"});
  VideoWriter unopened;
  expect_error([&] { unopened.write(pattern(0)); }, {"no file is open"});
}

TEST(VideoCodecNames, ParseAndPrint) {
  EXPECT_EQ(parse_video_codec("libx264"), VideoCodec::kH264);
  EXPECT_EQ(parse_video_codec("H264"), VideoCodec::kH264);
  EXPECT_EQ(parse_video_codec("prores_ks"), VideoCodec::kProRes);
  EXPECT_EQ(parse_video_codec("mpeg4"), VideoCodec::kMpeg4);
  EXPECT_EQ(parse_video_codec("vp9"), std::nullopt);
  EXPECT_STREQ(to_string(VideoCodec::kProRes), "prores");
}

TEST(VideoReader, Errors) {
  const auto missing = testing::data_path("no_such_clip.mp4");
  expect_error([&] { VideoReader r(missing); },
               {missing.string(), "cannot open", "No such file or directory"});
  const auto text = testing::data_path("not_a_png.png");
  expect_error([&] { VideoReader r(text); }, {text.string()});
  VideoReader unopened;
  expect_error([&] { unopened.width(); }, {"no file is open"});
}

TEST(VideoReader, ReadsAStillImageExactly) {
  // An RGB PNG goes through FFmpeg's png decoder and swscale untouched.
  VideoReader r(testing::data_path("rgb8.png"));
  EXPECT_EQ(r.codec_name(), "png");
  Image f;
  ASSERT_TRUE(r.read(f));
  EXPECT_EQ(f.pixels, read_image(testing::data_path("rgb8.png")).pixels);
  EXPECT_FALSE(r.read(f));
  EXPECT_FALSE(r.read(f));  // stays at the end
}

}  // namespace
}  // namespace amused::media
