// The GStreamer pipelines end to end: launch lines as users write them (gst_parse_launch),
// encoded through gst-libav, then the files DECODED WITH FFmpeg (media::VideoReader) and
// checked — codec, size, frame count, duration, and that the frames are real pictures.
// Then the examples/ scripts and programs as child processes, the same way.
//
// Most runs use the small test model (tests/data/amused-tiny, 32x32 frames); the ones
// marked "default model" set no `model` property, so they use the embedded default model,
// whatever size it makes (read from the model itself). What the default model draws is not
// known here (it is retrained now and then), so with it the frames must be real pictures
// and not all the same, but a pan is not required to change every frame.
#include <gst/gst.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "amused.h"
#include "cli_run.h"  // TempDir
#include "decoded_video.h"
#include "gst_run.h"
#include "media/image_io.h"
#include "tests/media/stream_probe.h"

namespace amused::e2e {
namespace {

const std::string kTiny = std::string(AMUSED_TESTS_DATA_DIR) + "/amused-tiny";
const std::string kExamples = AMUSED_EXAMPLES_DIR;

std::string env_or_empty(const char *name) {
  const char *v = std::getenv(name);
  return v ? v : "";
}

// The default model's native frame size, from the model (not from the element under test).
std::pair<int, int> default_model_size() {
  static const std::pair<int, int> size = [] {
    const auto info = describe(*load_model(default_model_dir()));
    return std::make_pair(info.native_width, info.native_height);
  }();
  return size;
}

// Debian 12's gst-libav 1.22.0 avenc_mpeg4 stamps every packet with the same bogus time,
// so mp4mux writes a one-frame duration whatever the source. Probed with videotestsrc
// (8 frames at 8 fps must last 1 s): when the probe shows the bug, MP4 durations are not
// checked (the frame count still is, and durations are checked on the ProRes/qtmux path).
bool mpeg4_durations_are_broken() {
  static const bool broken = [] {
    TempDir tmp;
    const std::string out = tmp / "probe.mp4";
    const std::string err = run_launch(
        "videotestsrc num-buffers=8 ! video/x-raw,width=32,height=32,framerate=8/1 ! "
        "videoconvert ! avenc_mpeg4 ! mp4mux ! filesink location=" +
        out);
    if (!err.empty()) return false;
    const auto d = decode_video(out);
    const bool bad = !d.duration || std::abs(*d.duration - 1.0) > 0.2;
    if (bad)
      std::printf(
          "NOTE: this gst-libav's avenc_mpeg4 writes broken timestamps (8 frames at 8 fps "
          "last %.3f s); MP4 durations are not checked\n",
          d.duration.value_or(-1.0));
    return bad;
  }();
  return broken;
}

// The decoded file has this codec, size and number of frames, and lasts `seconds` (within
// a frame at 6 frames/s) where given and the container keeps durations.
void expect_stream(const DecodedVideo &d, const std::string &codec, int width, int height,
                   size_t frames, std::optional<double> seconds = std::nullopt) {
  EXPECT_EQ(d.codec, codec);
  EXPECT_EQ(d.width, width);
  EXPECT_EQ(d.height, height);
  EXPECT_EQ(d.frames.size(), frames);
  if (seconds && !(codec == "mpeg4" && mpeg4_durations_are_broken())) {
    ASSERT_TRUE(d.duration.has_value());
    EXPECT_NEAR(*d.duration, *seconds, 1.0 / 6);
  }
}

class Pipelines : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { gst_init(nullptr, nullptr); }
  TempDir tmp_;
};

// Promo: text -> video, camera panning, MPEG-4 in MP4 (the DESIGN's first pipeline).
TEST_F(Pipelines, PromoMpeg4InMp4) {
  const std::string out = tmp_ / "promo.mp4";
  ASSERT_EQ(run_launch("amusedsrc model=" + kTiny +
                       " prompt=\"a red car on a road under a sunset sky\" camera-motion=pan-right "
                       "motion-speed=2 num-buffers=12 ! video/x-raw,framerate=6/1 ! videoconvert ! "
                       "avenc_mpeg4 ! mp4mux ! filesink location=" +
                       out),
            "");
  const auto d = decode_video(out);
  expect_stream(d, "mpeg4", 32, 32, 12, 2.0);
  expect_real_content(d.frames, true);
}

// The same source into ProRes/QuickTime, at a size other than the model's native one:
// duration and frame rate come from our timestamps through qtmux.
TEST_F(Pipelines, PromoProResAtARequestedSize) {
  const std::string out = tmp_ / "promo.mov";
  ASSERT_EQ(run_launch("amusedsrc model=" + kTiny +
                       " prompt=\"a lighthouse on a cliff\" camera-motion=pan-left motion-speed=3 "
                       "num-buffers=10 ! video/x-raw,width=48,height=32,framerate=5/1 ! "
                       "videoconvert ! avenc_prores_ks ! qtmux ! filesink location=" +
                       out),
            "");
  const auto d = decode_video(out);
  expect_stream(d, "prores", 48, 32, 10);
  EXPECT_NEAR(d.fps, 5.0, 1e-6);
  ASSERT_TRUE(d.duration.has_value());
  EXPECT_NEAR(*d.duration, 2.0, 0.2);
  expect_real_content(d.frames, true);
}

// Default model: no `model` property at all.
TEST_F(Pipelines, PromoWithTheDefaultModel) {
  const std::string out = tmp_ / "default.mov";
  ASSERT_EQ(
      run_launch("amusedsrc prompt=\"a small yellow ball on a beach\" camera-motion=pan-right "
                 "num-buffers=4 ! videoconvert ! avenc_prores_ks ! qtmux ! filesink "
                 "location=" +
                 out),
      "");
  const auto d = decode_video(out);
  const auto [w, h] = default_model_size();
  expect_stream(d, "prores", w, h, 4);
  ASSERT_TRUE(d.duration.has_value());
  EXPECT_NEAR(*d.duration, 4 / 8.0, 0.1) << "8 fps by default";
  expect_real_content(d.frames, false);
}

// A source clip for restyling: videotestsrc's moving ball, odd size, I420, in ProRes.
std::string make_source_clip(const TempDir &tmp, int frames) {
  const std::string clip = tmp / "source.mov";
  EXPECT_EQ(run_launch("videotestsrc pattern=ball num-buffers=" + std::to_string(frames) +
                       " ! video/x-raw,format=I420,width=36,height=22,framerate=6/1 ! "
                       "videoconvert ! avenc_prores_ks ! qtmux ! filesink location=" +
                       clip),
            "");
  return clip;
}

void expect_restyled(const DecodedVideo &source, const DecodedVideo &out, size_t frames) {
  EXPECT_EQ(out.codec, "prores");
  EXPECT_EQ(out.width, source.width);
  EXPECT_EQ(out.height, source.height);
  ASSERT_EQ(out.frames.size(), frames);
  expect_real_content(out.frames, false);
  for (size_t k = 0; k < frames; ++k)
    EXPECT_GT(mean_abs_diff(source.frames[k], out.frames[k]), 3.0)
        << "frame " << k << " was not restyled";
}

// Restyle: decodebin -> videoconvert -> amusedstylize -> ProRes/QuickTime (the DESIGN's
// second pipeline), from a decoder that outputs I420 at an odd size.
TEST_F(Pipelines, RestyleIntoProRes) {
  const std::string clip = make_source_clip(tmp_, 8), out = tmp_ / "restyled.mov";
  ASSERT_EQ(run_launch("filesrc location=" + clip +
                       " ! decodebin ! videoconvert ! "
                       "amusedstylize model=" +
                       kTiny +
                       " prompt=\"an oil painting\" strength=0.7 ! videoconvert ! "
                       "avenc_prores_ks ! qtmux ! filesink location=" +
                       out),
            "");
  const auto source = decode_video(clip), d = decode_video(out);
  expect_restyled(source, d, 8);
  ASSERT_TRUE(d.duration.has_value() && source.duration.has_value());
  EXPECT_NEAR(*d.duration, *source.duration, 1e-3) << "timestamps pass through";
}

TEST_F(Pipelines, RestyleWithTheDefaultModel) {
  const std::string clip = make_source_clip(tmp_, 3), out = tmp_ / "restyled.mov";
  ASSERT_EQ(run_launch("filesrc location=" + clip +
                       " ! decodebin ! videoconvert ! "
                       "amusedstylize prompt=\"a watercolor\" strength=0.8 ! videoconvert ! "
                       "avenc_prores_ks ! qtmux ! filesink location=" +
                       out),
            "");
  expect_restyled(decode_video(clip), decode_video(out), 3);
}

// One pixel path: the same clip restyled by `amused stylize` and by amusedstylize gives the
// same frames, byte for byte. The clip is raw RGB in QuickTime at a size the model
// does not make, so both decode the same pixels and the engine scales in and out for both;
// a mask restyles only the left half, and the right half must come back as the input.
TEST_F(Pipelines, CommandLineAndElementGiveTheSameFrames) {
  const std::string clip = tmp_ / "lossless.mov", mask = tmp_ / "left.png";
  ASSERT_EQ(run_launch("videotestsrc pattern=ball num-buffers=5 ! "
                       "video/x-raw,format=RGB,width=50,height=38,framerate=6/1 ! "
                       "qtmux ! filesink location=" +
                       clip),
            "");
  Image left;
  left.width = 50;
  left.height = 38;
  left.channels = 1;
  left.pixels.resize(50 * 38);
  for (int y = 0; y < 38; ++y)
    for (int x = 0; x < 50; ++x) left.pixels[y * 50 + x] = x < 25 ? 255 : 0;
  media::write_png(mask, left);

  const std::string cli_frames = tmp_ / "cli", gst_frames = tmp_ / "gst";
  std::filesystem::create_directories(gst_frames);
  const auto r = run_process({std::getenv("AMUSED_CLI"),
                              "stylize",
                              "--model",
                              kTiny,
                              "--input",
                              clip,
                              "--prompt",
                              "an oil painting",
                              "--strength",
                              "0.7",
                              "--steps",
                              "4",
                              "--seed",
                              "5",
                              "--mask",
                              mask,
                              "--frames-dir",
                              cli_frames,
                              "--output",
                              tmp_ / "cli.mov"},
                             {}, /*ours=*/true);
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_EQ(run_launch("filesrc location=" + clip + " ! decodebin ! amusedstylize model=" + kTiny +
                       " prompt=\"an oil painting\" strength=0.7 steps=4 seed=5 mask=" + mask +
                       " ! pngenc ! multifilesink location=" + gst_frames + "/%04d.png"),
            "");
  const auto source = decode_video(clip);
  ASSERT_EQ(source.frames.size(), 5u);
  for (int k = 0; k < 5; ++k) {
    char name[16];
    std::snprintf(name, sizeof name, "/%04d.png", k);
    const Image a = media::read_image(cli_frames + name), b = media::read_image(gst_frames + name);
    ASSERT_EQ(a.width, 50);
    ASSERT_EQ(a.height, 38);
    EXPECT_EQ(a.pixels, b.pixels) << "frame " << k << " differs between CLI and element";
    const auto &in = source.frames[k];
    size_t kept = 0, restyled = 0;
    for (int y = 0; y < 38; ++y)
      for (int x = 0; x < 50; ++x)
        for (int c = 0; c < 3; ++c) {
          const size_t i = (y * 50 + x) * 3 + c;
          if (x >= 25)
            kept += a.pixels[i] == in.pixels[i];
          else
            restyled += a.pixels[i] != in.pixels[i];
        }
    EXPECT_EQ(kept, 25u * 38 * 3) << "frame " << k << ": outside the mask is the input";
    EXPECT_GT(restyled, 25u * 38) << "frame " << k << ": inside the mask is restyled";
  }
}

// Any raw format in and the same out, no videoconvert around the element: I420 at an odd size.
TEST_F(Pipelines, RestyleTakesAnyRawFormat) {
  const std::string out = tmp_ / "i420.mov";
  ASSERT_EQ(run_launch("videotestsrc pattern=ball num-buffers=3 ! "
                       "video/x-raw,format=I420,width=34,height=26,framerate=6/1 ! "
                       "amusedstylize model=" +
                       kTiny +
                       " prompt=\"an oil painting\" strength=0.8 work-scale=2 ! "
                       "video/x-raw,format=I420 ! videoconvert ! avenc_prores_ks ! qtmux ! "
                       "filesink location=" +
                       out),
            "");
  const auto d = decode_video(out);
  EXPECT_EQ(d.width, 34);
  EXPECT_EQ(d.height, 26);
  ASSERT_EQ(d.frames.size(), 3u);
  expect_real_content(d.frames, false);
}

// An unloadable model is an error message naming the folder, and no pipeline hangs.
TEST_F(Pipelines, MissingModelIsAnErrorNamingTheFolder) {
  const std::string err = run_launch(
      "amusedsrc model=/nonexistent/amused num-buffers=2 ! "
      "videoconvert ! avenc_mpeg4 ! mp4mux ! filesink location=" +
      (tmp_ / "x.mp4"));
  EXPECT_NE(err.find("amusedsrc"), std::string::npos) << err;
  EXPECT_NE(err.find("/nonexistent/amused"), std::string::npos) << err;
}

// --- examples/ as child processes ---------------------------------------------------------

class Examples : public Pipelines {};

TEST_F(Examples, PromoScript) {
  const std::string out = tmp_ / "promo.mp4";
  auto r = run_process({kExamples + "/promo.sh", out},
                       {{"FRAMES", "6"}, {"FPS", "6"}, {"MODEL", kTiny}});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto d = decode_video(out);
  expect_stream(d, "mpeg4", 32, 32, 6, 1.0);
  expect_real_content(d.frames, true);
}

// As written: no MODEL, so the embedded default model.
TEST_F(Examples, PromoScriptWithTheDefaultModel) {
  const std::string out = tmp_ / "promo.mp4";
  auto r = run_process({kExamples + "/promo.sh", out}, {{"FRAMES", "3"}, {"MODEL", ""}});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto d = decode_video(out);
  EXPECT_EQ(d.width, default_model_size().first);
  EXPECT_EQ(d.frames.size(), 3u);
  expect_real_content(d.frames, false);
}

TEST_F(Examples, RestyleScript) {
  const std::string clip = make_source_clip(tmp_, 6), out = tmp_ / "restyled.mov";
  auto r = run_process({kExamples + "/restyle.sh", clip, out},
                       {{"FRAMES", "4"}, {"MODEL", kTiny}, {"STRENGTH", "0.7"}});
  ASSERT_EQ(r.status, 0) << r.err;
  expect_restyled(decode_video(clip), decode_video(out), 4);

  // SIZE scales first: the output has that size.
  const std::string scaled = tmp_ / "scaled.mov";
  r = run_process({kExamples + "/restyle.sh", clip, scaled},
                  {{"FRAMES", "2"}, {"MODEL", kTiny}, {"SIZE", "40x24"}});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto d = decode_video(scaled);
  EXPECT_EQ(d.width, 40);
  EXPECT_EQ(d.height, 24);
  EXPECT_EQ(d.frames.size(), 2u);
}

// Footage with sound (tests/data/footage: H.264 at a variable frame rate, AAC): the sound
// goes into the same QuickTime file as AAC, as long as the picture and in sync with it.
TEST_F(Examples, RestyleScriptKeepsTheSound) {
  const std::string clip = std::string(AMUSED_TESTS_DATA_DIR) + "/footage/birds-vfr.mp4";
  const std::string out = tmp_ / "sound.mov";
  auto r =
      run_process({kExamples + "/restyle.sh", clip, out}, {{"MODEL", kTiny}, {"SIZE", "64x36"}});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto facts = probe::probe_file(out);
  const auto *video = facts.first("video");
  const auto *audio = facts.first("audio");
  ASSERT_NE(video, nullptr);
  ASSERT_NE(audio, nullptr) << "the sound is kept";
  EXPECT_EQ(video->codec, "prores");
  EXPECT_EQ(video->width, 64);
  EXPECT_EQ(audio->codec, "aac");
  EXPECT_NEAR(audio->start, video->start, 1024 / 48000.0);
  EXPECT_NEAR(audio->end, video->end, 1024 / 48000.0);
  EXPECT_EQ(probe::video_frames(out).times.size(), 19u);

  // AUDIO=0 leaves it out; so does FRAMES (with a note), which would not cut it.
  const std::string silent = tmp_ / "silent.mov";
  r = run_process({kExamples + "/restyle.sh", clip, silent},
                  {{"MODEL", kTiny}, {"SIZE", "64x36"}, {"AUDIO", "0"}});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(probe::probe_file(silent).count("audio"), 0);
  r = run_process({kExamples + "/restyle.sh", clip, silent},
                  {{"MODEL", kTiny}, {"SIZE", "64x36"}, {"FRAMES", "2"}});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("FRAMES"), std::string::npos) << r.err;
  EXPECT_EQ(probe::probe_file(silent).count("audio"), 0);
}

TEST_F(Examples, RestyleScriptErrors) {
  auto r = run_process({kExamples + "/restyle.sh", "only-one-argument"});
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("usage"), std::string::npos) << r.err;

  r = run_process({kExamples + "/restyle.sh", tmp_ / "missing.mp4", tmp_ / "o.mov"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("missing.mp4"), std::string::npos) << r.err;

  const std::string clip = make_source_clip(tmp_, 2);
  r = run_process({kExamples + "/restyle.sh", clip, tmp_ / "o.mov"},
                  {{"MODEL", "/nonexistent/model"}});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("/nonexistent/model"), std::string::npos) << r.err;
}

// The lines embed/embed.py print for frames ("frame <n> ...").
std::vector<std::string> frame_lines(const std::string &out) {
  return lines_starting_with(out, "frame ");
}

bool contains(const std::string &s, const std::string &needle) {
  return s.find(needle) != std::string::npos;
}

void expect_snapshot(const std::string &png, int width, int height) {
  ASSERT_TRUE(std::filesystem::exists(png)) << png;
  const Image img = media::read_image(png);
  EXPECT_EQ(img.width, width);
  EXPECT_EQ(img.height, height);
  EXPECT_GT(spread(img), 40) << "the snapshot is a real picture";
}

TEST_F(Examples, EmbedProgram) {
  const std::string embed = env_or_empty("AMUSED_EMBED"), png = tmp_ / "last.png";
  ASSERT_FALSE(embed.empty()) << "meson sets AMUSED_EMBED";
  auto r = run_process(
      {embed, "--model", kTiny, "--frames", "16", "--switch-after", "3", "--snapshot", png});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto lines = frame_lines(r.out);
  ASSERT_EQ(lines.size(), 16u) << r.out;
  // Every frame carries the meta; the prompt changes once, from the first to the second,
  // not before frame 3 (it was set after 3 frames were pulled), and the first frame with
  // the new prompt is generated from scratch. The tiny model's frames are nearly free, so
  // by the time the prompt is set the source may have run ahead by the appsink's queue
  // (max-buffers 4), the buffer it is pushing and the frame it is generating.
  int first_second = -1;
  for (size_t k = 0; k < lines.size(); ++k) {
    EXPECT_TRUE(contains(lines[k], "32x32 RGB")) << lines[k];
    EXPECT_TRUE(contains(lines[k], "seed 0 index " + std::to_string(k) + " ")) << lines[k];
    const bool second = contains(lines[k], "(second)");
    EXPECT_TRUE(second || contains(lines[k], "(first)")) << lines[k];
    if (second && first_second < 0) {
      first_second = static_cast<int>(k);
      EXPECT_TRUE(contains(lines[k], "keyframe")) << lines[k];
    }
    if (first_second >= 0) {
      EXPECT_TRUE(second) << "the prompt went back: " << lines[k];
    }
  }
  EXPECT_GE(first_second, 3) << r.out;
  EXPECT_LE(first_second, 3 + 4 + 2) << r.out;
  EXPECT_TRUE(contains(lines[0], "keyframe")) << lines[0];
  EXPECT_TRUE(contains(r.out, "16 frames")) << r.out;
  expect_snapshot(png, 32, 32);
}

TEST_F(Examples, EmbedProgramWithTheDefaultModel) {
  const std::string png = tmp_ / "last.png";
  auto r = run_process(
      {env_or_empty("AMUSED_EMBED"), "--frames", "2", "--switch-after", "1", "--snapshot", png});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(frame_lines(r.out).size(), 2u) << r.out;
  const auto [w, h] = default_model_size();
  expect_snapshot(png, w, h);
}

TEST_F(Examples, EmbedProgramReportsErrors) {
  auto r = run_process({env_or_empty("AMUSED_EMBED"), "--model", "/nonexistent/model"});
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(contains(r.err, "/nonexistent/model")) << r.err;
  r = run_process({env_or_empty("AMUSED_EMBED"), "--frames", "0"});
  EXPECT_EQ(r.status, 2);
}

// embed.py needs PyGObject, which belongs to Debian's python3 (AMUSED_PYTHON).
std::string python_with_gi() {
  const std::string python = env_or_empty("AMUSED_PYTHON");
  if (python.empty()) return "";
  auto r = run_process({python, "-c",
                        "import gi; gi.require_version('Gst', '1.0'); "
                        "gi.require_version('GstApp', '1.0'); from gi.repository import Gst"});
  return r.status == 0 ? python : "";
}

TEST_F(Examples, EmbedPython) {
  const std::string python = python_with_gi();
  if (python.empty()) GTEST_SKIP() << "no python3 with PyGObject (scripts/install-deps.sh)";
  const std::string png = tmp_ / "last.png";
  auto r = run_process({python, kExamples + "/embed.py", "--model", kTiny, "--frames", "6",
                        "--switch-after", "2", "--snapshot", png});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto lines = frame_lines(r.out);
  ASSERT_EQ(lines.size(), 6u) << r.out;
  for (size_t k = 0; k < lines.size(); ++k) {
    // PTS at the default 8 fps, and the size of an RGB 32x32 frame.
    char pts[32];
    std::snprintf(pts, sizeof pts, "pts %.3f s", k / 8.0);
    EXPECT_TRUE(contains(lines[k], pts)) << lines[k];
    EXPECT_TRUE(contains(lines[k], "32x32 RGB 3072 bytes")) << lines[k];
    // The frame info Python reads from the custom meta.
    EXPECT_TRUE(contains(lines[k], "index " + std::to_string(k) + " ")) << lines[k];
  }
  EXPECT_TRUE(contains(lines[0], "keyframe")) << lines[0];
  EXPECT_TRUE(contains(r.out, "-- prompt ->")) << r.out;
  expect_snapshot(png, 32, 32);

  r = run_process({python, kExamples + "/embed.py", "--model", "/nonexistent/model"});
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(contains(r.err, "/nonexistent/model")) << r.err;
}

}  // namespace
}  // namespace amused::e2e
