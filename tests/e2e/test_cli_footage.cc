// `amused stylize` on footage the project did not make (tests/data/footage: H.264/AAC in MP4,
// VP9/MP3 in AVI, Theora in Ogg, MPEG-4 in AVI, MPEG-2/MP2 with a data stream in MPEG-PS,
// a variable frame rate, subtitles in Matroska), and `amused video --audio`. Every output is
// read back with libavformat directly (tests/media/stream_probe.h): frame count, size,
// per-frame timestamps against the input's, duration, the sound (copied when the container
// takes it, else encoded), --start/--duration, the streams that cannot be kept.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "cli_run.h"
#include "tests/media/stream_probe.h"

namespace amused::e2e {
namespace {

namespace fs = std::filesystem;

const std::string kTiny = std::string(AMUSED_TESTS_DATA_DIR) + "/amused-tiny";
const std::string kFootage = std::string(AMUSED_TESTS_DATA_DIR) + "/footage/";

// One thread: the tiny model is fastest so, and a busy machine does not slow it down.
CliResult stylize(const std::string &input, const std::string &output,
                  std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"stylize", "--model", kTiny,      "--threads",       "1",
                                "--input", input,     "--prompt", "an oil painting", "--output",
                                output};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_cli(args);
}

// What the output of a span of the input should hold: the input's frames that show within
// [start, start + duration) of its timeline, timed from the span's start (the first at 0),
// and where the video ends: at the span's end, or the end of the input's last frame.
struct Expected {
  std::vector<double> times;
  double end = 0;
  double last_length = 0;  // of the last frame, uncut
};

Expected expected_span(probe::VideoFrames in, double origin, double start, double duration) {
  const size_t n = in.times.size();
  // A frame without a time follows the one before it (as the reader does).
  for (size_t i = 1; i < n; ++i) {
    if (std::isnan(in.times[i])) {
      const double gap = i >= 2 ? in.times[i - 1] - in.times[i - 2] : 0;
      in.times[i] = in.times[i - 1] + (std::isnan(in.durations[i - 1]) ? gap : in.durations[i - 1]);
    }
  }
  Expected e;
  const double span_end = start + duration;
  for (size_t i = 0; i < n; ++i) {
    const double t = in.times[i] - origin;
    double end = i + 1 < n ? in.times[i + 1] - origin : t + in.durations[i];
    if (std::isnan(end)) end = t + (i > 0 ? in.times[i] - in.times[i - 1] : 0);
    if (end <= start || t >= span_end) continue;
    e.times.push_back(std::max(0.0, t - start));
    e.end = std::min(end, span_end) - start;
    e.last_length = end - t;
  }
  return e;
}

struct ClipCase {
  const char *name;        // test name
  const char *input;       // in tests/data/footage
  const char *output;      // file name: the extension picks the container
  double start, duration;  // --start/--duration; duration 0: not given
  const char *audio;       // the output's audio codec; "" for none
  bool copied;             // the input's audio packets, as they are
  double audio_frame;      // one audio frame of the input, seconds: how far whole packets reach
  const char *note;        // a line stderr must have (a stream that was dropped), or ""
};

class Footage : public ::testing::TestWithParam<ClipCase> {};

TEST_P(Footage, RestyledWithItsTimingAndSound) {
  const ClipCase c = GetParam();
  TempDir tmp;
  const std::string input = kFootage + c.input, out = tmp / c.output;
  std::vector<std::string> extra;
  if (c.start > 0) extra.insert(extra.end(), {"--start", std::to_string(c.start)});
  if (c.duration > 0) extra.insert(extra.end(), {"--duration", std::to_string(c.duration)});
  const auto r = stylize(input, out, extra);
  ASSERT_EQ(r.status, 0) << r.err;

  const auto in = probe::probe_file(input);
  const auto got = probe::probe_file(out);
  const auto *in_video = in.first("video");
  const auto *video = got.first("video");
  ASSERT_NE(in_video, nullptr);
  ASSERT_NE(video, nullptr);
  EXPECT_EQ(video->width, in_video->width);
  EXPECT_EQ(video->height, in_video->height);

  // Every frame of the span, each at the input's time less the span's start.
  const double duration = c.duration > 0 ? c.duration : INFINITY;
  const auto expected = expected_span(probe::video_frames(input), in.start, c.start, duration);
  const auto times = probe::video_frames(out).times;
  ASSERT_EQ(times.size(), expected.times.size()) << "frames";
  // Matroska keeps milliseconds.
  const double tick = got.format.find("matroska") != std::string::npos ? 0.5e-3 + 1e-6 : 1e-6;
  for (size_t k = 0; k < times.size(); ++k) {
    EXPECT_NEAR(times[k], expected.times[k], tick) << "frame " << k;
  }
  EXPECT_NEAR(video->start, 0.0, 1e-9) << "the video starts at 0";
  // It lasts as long as the input's span. (Matroska gives a block the track's default frame
  // duration unless it says otherwise, which FFmpeg's muxer does not for video: a last frame
  // cut short reads back a frame long.)
  EXPECT_NEAR(video->end, expected.end, tick > 1e-6 ? expected.last_length + tick : 2 * tick)
      << "video duration";

  const auto *audio = got.first("audio");
  if (std::string(c.audio).empty()) {
    EXPECT_EQ(audio, nullptr);
  } else {
    ASSERT_NE(audio, nullptr) << "the sound is kept";
    EXPECT_EQ(audio->codec, c.audio);
    // The input's sound within the span, within one audio frame at each end.
    const auto *in_audio = in.first("audio");
    ASSERT_NE(in_audio, nullptr);
    const double audio_start = std::max(0.0, in_audio->start - in.start - c.start);
    const double audio_end = std::min(in_audio->end - in.start - c.start, video->end);
    EXPECT_NEAR(audio->start, audio_start, c.audio_frame) << "audio start";
    EXPECT_NEAR(audio->end, audio_end, c.audio_frame) << "audio end";
    // Copied: the output's packets are a run of the input's, byte counts and all.
    const bool run = std::search(in_audio->sizes.begin(), in_audio->sizes.end(),
                                 audio->sizes.begin(), audio->sizes.end()) != in_audio->sizes.end();
    EXPECT_EQ(run, c.copied) << (c.copied ? "not copied" : "not encoded");
  }
  if (std::string(c.note).empty()) {
    EXPECT_EQ(r.err.find("dropped"), std::string::npos) << r.err;
  } else {
    EXPECT_NE(r.err.find(c.note), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(c.input), std::string::npos) << "the note names the file: " << r.err;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Clips, Footage,
    ::testing::Values(
        // H.264 + AAC in MP4, 1280x720: the AAC copied as it is.
        ClipCase{"BirdsMp4", "birds.mp4", "out.mp4", 0, 0, "aac", true, 1024 / 48000.0, ""},
        // A segment: seek, both streams cut to it, both from 0 (MOV takes the AAC too).
        ClipCase{"BirdsSegmentMov", "birds.mp4", "out.mov", 0.3, 0.5, "aac", true, 1024 / 48000.0,
                 ""},
        // Variable frame rate stays variable (Matroska: milliseconds; its AAC copy cannot
        // start before 0, so the packet across 0 is left out).
        ClipCase{"VariableRateMkv", "birds-vfr.mp4", "out.mkv", 0, 0, "aac", true, 1024 / 48000.0,
                 ""},
        // VP9 + MP3 in AVI, the MP3 copied into MP4; its sound ends before the picture.
        ClipCase{"Vp9Mp3Avi", "balle1-vp9.avi", "out.mp4", 0, 0, "mp3", true, 1152 / 48000.0, ""},
        // Theora in Ogg, no sound, into ProRes.
        ClipCase{"TheoraOgg", "Effet_force_magnetique.ogv", "out.mov", 0, 0, "", false, 0, ""},
        // MPEG-4 part 2 in AVI, no sound.
        ClipCase{"Mpeg4Avi", "g1.avi", "out.mkv", 0, 0, "", false, 0, ""},
        // MPEG-2 + MP2 + a DVD navigation stream, starting at 0.24 s: the MP2 copied (MP4
        // labels MPEG audio of every layer "mp3" when read back: same packets), the data
        // stream dropped with a note.
        ClipCase{"DvdMpeg2", "base_pal.mpg", "out.mp4", 0, 0, "mp3", true, 1152 / 48000.0,
                 "stream 0 (data, dvd_nav_packet) dropped"},
        // Vorbis cannot go into MP4: encoded to AAC, cut to the sample; the subtitles dropped.
        ClipCase{"SubtitledMkvToMp4", "ball-subtitled.mkv", "out.mp4", 0.5, 0.6, "aac", false, 2e-3,
                 "stream 2 (subtitle, subrip) dropped"},
        // Matroska takes them all: Vorbis copied (packets up to 2048 samples), subtitles too.
        ClipCase{"SubtitledMkvToMkv", "ball-subtitled.mkv", "out.mkv", 0.5, 0.6, "vorbis", true,
                 2048 / 48000.0, ""}),
    [](const auto &info) { return std::string(info.param.name); });

TEST(FootageStreams, VariableFrameRateStaysVariable) {
  TempDir tmp;
  const std::string out = tmp / "vfr.mov";
  const auto r = stylize(kFootage + "birds-vfr.mp4", out, {"--max-frames", "7"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto times = probe::video_frames(out).times;
  ASSERT_EQ(times.size(), 7u);
  std::set<long> gaps;  // in milliseconds
  for (size_t k = 1; k < times.size(); ++k)
    gaps.insert(std::lround((times[k] - times[k - 1]) * 1000));
  EXPECT_EQ(gaps, (std::set<long>{33, 100})) << "frames 1/30 s and 3/30 s apart, as in the input";
  // --max-frames ends the video after frame 7 (shown until 0.3667 s), and the sound with it.
  const auto facts = probe::probe_file(out);
  EXPECT_NEAR(facts.first("video")->end, 11 / 30.0, 1e-3);
  EXPECT_NEAR(facts.first("audio")->end, 11 / 30.0, 1024 / 48000.0);
}

TEST(FootageStreams, SubtitlesCopiedIntoMatroska) {
  TempDir tmp;
  const std::string out = tmp / "sub.mkv";
  const auto r = stylize(kFootage + "ball-subtitled.mkv", out, {"--duration", "0.5"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto facts = probe::probe_file(out);
  const auto *subs = facts.first("subtitle");
  ASSERT_NE(subs, nullptr);
  EXPECT_EQ(subs->codec, "subrip");
  EXPECT_EQ(subs->packets, 1) << "only the subtitle shown within the first 0.5 s";
  EXPECT_NEAR(subs->first_packet, 0.103, 1e-3) << "at its time in the input";
  EXPECT_NEAR(subs->packets_end, 0.5, 1e-3) << "cut at the span's end";
}

TEST(FootageStreams, NoAudioLeavesTheSoundOut) {
  TempDir tmp;
  const std::string out = tmp / "silent.mp4";
  const auto r = stylize(kFootage + "birds-vfr.mp4", out, {"--max-frames", "3", "--no-audio"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto facts = probe::probe_file(out);
  EXPECT_EQ(facts.count("audio"), 0);
  EXPECT_EQ(facts.count("video"), 1);
}

TEST(FootageErrors, BadSpansNameTheFlagOrTheFile) {
  TempDir tmp;
  const std::string out = tmp / "o.mp4";
  for (const auto &[flag, value] : std::vector<std::pair<std::string, std::string>>{
           {"--start", "abc"}, {"--start", "-1"}, {"--duration", "0"}, {"--duration", "1,5"}}) {
    const auto r = stylize(kFootage + "g1.avi", out, {flag, value});
    EXPECT_EQ(r.status, 2) << flag << " " << value;
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(flag), std::string::npos) << r.err;
  }
  // A start past the end: a runtime error naming the input, and no file left.
  const auto r = stylize(kFootage + "g1.avi", out, {"--start", "5"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("g1.avi"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--start 5"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
}

// `amused video --audio`: a soundtrack cut to the video's length and faded out at its end.
struct SoundtrackCase {
  const char *output, *codec;
};

class VideoSoundtrack : public ::testing::TestWithParam<SoundtrackCase> {};

TEST_P(VideoSoundtrack, CutToTheVideoAndFaded) {
  TempDir tmp;
  const std::string wav = tmp / "song.wav", out = tmp / GetParam().output;
  probe::write_sine_wav(wav, 5.0);
  const auto r = run_cli({"video", "--model", kTiny, "--threads", "1", "--prompt", "a lake",
                          "--frames", "12", "--fps", "6", "--audio", wav, "--output", out});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("soundtrack"), std::string::npos) << r.err;
  const auto facts = probe::probe_file(out);
  const auto *audio = facts.first("audio");
  ASSERT_NE(audio, nullptr);
  EXPECT_EQ(audio->codec, GetParam().codec);
  EXPECT_NEAR(audio->start, 0.0, 1e-6);
  EXPECT_NEAR(audio->end, 2.0, 1024 / 44100.0) << "as long as the 12 frames at 6 fps";
  const auto sound = probe::decode_audio(out);
  const float level = sound.peak(0.5, 1.0);
  EXPECT_GT(level, 0.4);
  EXPECT_GT(sound.peak(1.4, 1.49), 0.95 * level) << "the fade is the last 0.5 s";
  EXPECT_LT(sound.peak(1.96, 2.0), 0.1 * level) << "faded out";
}

INSTANTIATE_TEST_SUITE_P(
    Containers, VideoSoundtrack,
    ::testing::Values(SoundtrackCase{"v.mp4", "aac"}, SoundtrackCase{"v.mkv", "aac"},
                      SoundtrackCase{"v.mov", "pcm_s16le"}),
    [](const auto &info) {
      return std::string(fs::path(info.param.output).extension().string()).substr(1);
    });

TEST(VideoSoundtrack, MissingFileIsOneLineBeforeAnyWork) {
  TempDir tmp;
  const auto r = run_cli({"video", "--model", kTiny, "--prompt", "a lake", "--audio",
                          tmp / "nope.wav", "--output", tmp / "v.mp4"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("nope.wav"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--audio"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "v.mp4"));

  // A file without sound: named, with the reason, and no output left.
  const std::string silent = kFootage + "g1.avi";
  const auto s = run_cli({"video", "--model", kTiny, "--prompt", "a lake", "--audio", silent,
                          "--output", tmp / "v.mp4"});
  EXPECT_EQ(s.status, 1);
  EXPECT_EQ(count_lines(s.err), 1) << s.err;
  EXPECT_NE(s.err.find("g1.avi"), std::string::npos) << s.err;
  EXPECT_NE(s.err.find("no audio stream"), std::string::npos) << s.err;
  EXPECT_FALSE(fs::exists(tmp / "v.mp4"));
}

}  // namespace
}  // namespace amused::e2e
