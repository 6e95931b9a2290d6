// `amused video` and `amused stylize` end to end: run the binary, then decode what it wrote
// with FFmpeg (media::VideoReader) and check the stream and that the frames are real content.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "amused.h"
#include "cli_run.h"
#include "decoded_video.h"

namespace amused::e2e {
namespace {

const std::string kTiny = std::string(AMUSED_TESTS_DATA_DIR) + "/amused-tiny";

// Unlike expect_real_content() of decoded_video.h, a stylized static clip may repeat one
// picture, so only contrast, level and (with `moving`) motion are checked here.
void expect_frames_are_content(const DecodedVideo &d, bool moving) {
  ASSERT_FALSE(d.frames.empty());
  int differing = 0;
  for (size_t k = 0; k < d.frames.size(); ++k) {
    EXPECT_GT(spread(d.frames[k]), 40) << "frame " << k << " is nearly constant";
    EXPECT_GT(mean_level(d.frames[k]), 8) << "frame " << k << " is black";
    if (k && mean_abs_diff(d.frames[k - 1], d.frames[k]) > 1.0) ++differing;
  }
  if (moving) {
    EXPECT_GE(differing, static_cast<int>(d.frames.size()) / 2) << "the camera moves";
  }
}

struct CodecCase {
  const char *codec, *file, *expected;
};

class VideoCommand : public ::testing::TestWithParam<CodecCase> {};

TEST_P(VideoCommand, WritesTheRequestedStream) {
  TempDir tmp;
  const auto c = GetParam();
  const std::string out = tmp / c.file;
  auto r = run_cli({"video",
                    "--model",
                    kTiny,
                    "--prompt",
                    "a red car on a road",
                    "--frames",
                    "12",
                    "--fps",
                    "6",
                    "--camera-motion",
                    "pan-right",
                    "--motion-speed",
                    "1.5",
                    "--codec",
                    c.codec,
                    "--width",
                    "48",
                    "--height",
                    "32",
                    "--output",
                    out});
  ASSERT_EQ(r.status, 0) << r.err;
  auto d = decode_video(out);
  EXPECT_EQ(d.codec, c.expected);
  EXPECT_EQ(d.width, 48);
  EXPECT_EQ(d.height, 32);
  EXPECT_EQ(d.frames.size(), 12u);
  EXPECT_NEAR(d.fps, 6.0, 1e-6);
  ASSERT_TRUE(d.duration.has_value());
  EXPECT_NEAR(*d.duration, 2.0, 1.0 / 6);
  expect_frames_are_content(d, true);
}

INSTANTIATE_TEST_SUITE_P(Codecs, VideoCommand,
                         ::testing::Values(CodecCase{"h264", "v.mp4", "h264"},
                                           CodecCase{"mpeg4", "v.mp4", "mpeg4"},
                                           CodecCase{"prores", "v.mov", "prores"}),
                         [](const auto &info) { return std::string(info.param.codec); });

TEST(VideoCommand, StillCameraKeepsTheFrame) {
  TempDir tmp;
  const std::string out = tmp / "still.mkv";
  auto r = run_cli({"video", "--model", kTiny, "--prompt", "a lake", "--frames", "5", "--codec",
                    "prores", "--frames-dir", tmp / "frames", "--output", out});
  ASSERT_EQ(r.status, 0) << r.err;
  auto d = decode_video(out);
  ASSERT_EQ(d.frames.size(), 5u);
  // Nothing to regenerate without motion: the decoded frames are the same picture (up to
  // the codec, which sees identical input frames).
  for (size_t k = 1; k < d.frames.size(); ++k)
    EXPECT_LT(mean_abs_diff(d.frames[0], d.frames[k]), 0.5);
  EXPECT_TRUE(std::filesystem::exists(tmp / "frames/0004.png"));
}

TEST(VideoCommand, IndependentFramesDiffer) {
  TempDir tmp;
  const std::string out = tmp / "independent.mp4";
  auto r = run_cli({"video", "--model", kTiny, "--prompt", "a lake", "--frames", "4",
                    "--cross-frame-attention", "none", "--no-reuse-tokens", "--output", out});
  ASSERT_EQ(r.status, 0) << r.err;
  auto d = decode_video(out);
  ASSERT_EQ(d.frames.size(), 4u);
  for (size_t k = 1; k < d.frames.size(); ++k)
    EXPECT_GT(mean_abs_diff(d.frames[k - 1], d.frames[k]), 5.0);
}

TEST(VideoCommand, MetricsTable) {
  TempDir tmp;
  auto r = run_cli({"video", "--model", kTiny, "--prompt", "a lake", "--frames", "6",
                    "--camera-motion", "pan-left", "--metrics", "--output", tmp / "m.mp4"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("shared-region error"), std::string::npos) << r.out;
}

TEST(VideoCommand, BadArgumentsNameTheFlag) {
  TempDir tmp;
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--camera-motion", "sideways"}, "--camera-motion"},
      {{"--cross-frame-attention", "all"}, "--cross-frame-attention"},
      {{"--frames", "0"}, "--frames"},
      {{"--fps", "fast"}, "--fps"},
      // Past an int: these once wrapped round to 1/1000 and 1 frame per second.
      {{"--fps", "4294967.297"}, "--fps"},
      {{"--fps", "4294967297/1"}, "--fps"},
      {{"--fps", "30/1x"}, "--fps"},
      {{"--fps", "240.5"}, "--fps"},
      {{"--codec", "vp9"}, "--codec"},
      {{"--remask-boundary", "-1"}, "--remask-boundary"},
      {{"--motion-speed", "-2"}, "--motion-speed"},
  };
  for (const auto &[extra, flag] : cases) {
    std::vector<std::string> args{"video", "--model",  kTiny,        "--prompt",
                                  "x",     "--output", tmp / "o.mp4"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = run_cli(args);
    EXPECT_EQ(r.status, 2) << command_line(args);
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(flag), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(tmp / "o.mp4"));
  }
}

TEST(StylizeCommand, RestylesEveryFrameAtTheInputSize) {
  TempDir tmp;
  const std::string clip = tmp / "clip.mp4", out = tmp / "styled.mov";
  ASSERT_EQ(run_cli({"video", "--model", kTiny, "--prompt", "a beach", "--frames", "8", "--width",
                     "40", "--height", "24", "--camera-motion", "pan-down", "--output", clip})
                .status,
            0);
  auto r = run_cli({"stylize", "--model", kTiny, "--input", clip, "--prompt", "an oil painting",
                    "--strength", "0.7", "--output", out});
  ASSERT_EQ(r.status, 0) << r.err;
  auto d = decode_video(out);
  EXPECT_EQ(d.codec, "prores");
  EXPECT_EQ(d.width, 40);
  EXPECT_EQ(d.height, 24);
  EXPECT_EQ(d.frames.size(), 8u);
  expect_frames_are_content(d, false);
  auto source = decode_video(clip);
  EXPECT_GT(mean_abs_diff(source.frames[0], d.frames[0]), 3.0) << "the style changes the picture";
}

TEST(StylizeCommand, MissingInputIsOneLine) {
  TempDir tmp;
  auto r = run_cli({"stylize", "--model", kTiny, "--input", tmp / "nope.mp4", "--prompt", "x",
                    "--output", tmp / "o.mp4"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("nope.mp4"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace amused::e2e
