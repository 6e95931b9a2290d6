// Time and sound through media/: TimeSpan arithmetic, VideoReader::select (seeking) and
// per-frame times, VideoWriter with its own times (variable frame rate) and side streams
// (a soundtrack cut and faded; the streams of another file copied or encoded, cut to a span,
// in sync), the copy/encode/drop plan. Files are checked with libavformat directly
// (stream_probe.h).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "ffmpeg_log.h"
#include "stream_plan.h"
#include "stream_probe.h"
#include "test_util.h"
#include "time_span.h"
#include "video_reader.h"
#include "video_writer.h"

namespace amused::media {
namespace {

using namespace testing;  // test_util.h: TempDir, make_image, expect_error, ...

const bool kQuietFfmpeg = (set_ffmpeg_log_level(FfmpegLogLevel::kError), true);

constexpr int kW = 64, kH = 48;
constexpr double kAacFrame = 1024.0 / 44100;  // one AAC frame of the 44.1 kHz test sound

// A frame that differs visibly from its neighbours: a sine drifting with the index.
Image frame_for(int i) {
  Image img = make_image(kW, kH, 3);
  for (int y = 0; y < kH; ++y) {
    for (int x = 0; x < kW; ++x) {
      uint8_t *p = &img.pixels[(y * kW + x) * 3];
      p[0] = static_cast<uint8_t>(128 + 100 * std::sin(2 * M_PI * (x / 32.0 - i / 17.0)));
      p[1] = static_cast<uint8_t>(128 + 100 * std::cos(2 * M_PI * (y / 24.0 + i / 13.0)));
      p[2] = static_cast<uint8_t>((i * 37) % 200 + 20);
    }
  }
  return img;
}

// The frame index among `candidates` whose picture `img` is closest to.
int closest(const Image &img, int from, int to) {
  int best = -1;
  double best_psnr = -1;
  for (int i = from; i <= to; ++i) {
    const double p = testing::psnr(img, frame_for(i));
    if (p > best_psnr) {
      best_psnr = p;
      best = i;
    }
  }
  return best;
}

TEST(TimeSpan, ParseSeconds) {
  EXPECT_EQ(parse_seconds("0"), 0);
  EXPECT_EQ(parse_seconds("12.5"), 12'500'000);
  EXPECT_EQ(parse_seconds(".25"), 250'000);
  EXPECT_EQ(parse_seconds("3."), 3'000'000);
  EXPECT_EQ(parse_seconds("0.000001"), 1);
  for (const char *bad : {"", ".", "-1", "1e3", "1,5", "0.0000001", "1.2.3", " 1", "abc"}) {
    EXPECT_EQ(parse_seconds(bad), std::nullopt) << bad;
  }
}

TEST(TimeSpan, Place) {
  Placed p;
  // Inside: unchanged.
  ASSERT_EQ(place(10, 5, std::nullopt, &p), Placement::kInside);
  EXPECT_EQ(p.start, 10);
  EXPECT_EQ(p.length, 5);
  // Straddling the start: from 0 for the rest of its time.
  ASSERT_EQ(place(-3, 5, 100, &p), Placement::kInside);
  EXPECT_EQ(p.start, 0);
  EXPECT_EQ(p.length, 2);
  // Straddling the end: cut there.
  ASSERT_EQ(place(98, 5, 100, &p), Placement::kInside);
  EXPECT_EQ(p.length, 2);
  EXPECT_EQ(place(-5, 5, 100, &p), Placement::kBefore);
  EXPECT_EQ(place(100, 5, 100, &p), Placement::kAfter);
  TimeSpan span;
  EXPECT_TRUE(span.whole());
  span.duration_us = 5;
  EXPECT_EQ(span.end_us(), 5);
  EXPECT_FALSE(span.whole());
}

// 10 s at 10 fps in MPEG-4 part 2 (a keyframe every 12 frames).
std::filesystem::path long_clip(const TempDir &dir) {
  const auto file = dir / "long.mkv";
  VideoWriterOptions opts;
  opts.codec = VideoCodec::kMpeg4;
  opts.quality = 2;
  VideoWriter w(file, kW, kH, {10, 1}, opts);
  for (int i = 0; i < 100; ++i) w.write(frame_for(i));
  w.finish();
  return file;
}

TEST(VideoReader, SelectSeeksToTheSpan) {
  TempDir dir;
  const auto file = long_clip(dir);
  VideoReader r(file);
  // From 8.05 s for 1 s: frame 80 (shown 8.0-8.1) starts the span, frame 90 (9.0) ends it.
  r.select(TimeSpan{8'050'000, 1'000'000});
  const double tb = r.time_base().value();
  Image f;
  std::vector<double> starts, lengths;
  std::vector<int> which;
  while (r.read(f)) {
    starts.push_back(r.frame_pts() * tb);
    lengths.push_back(r.frame_duration() * tb);
    which.push_back(closest(f, 70, 99));
  }
  ASSERT_EQ(starts.size(), 11u);
  EXPECT_EQ(which.front(), 80);
  EXPECT_EQ(which.back(), 90);
  EXPECT_NEAR(starts[0], 0.0, 1e-9);
  EXPECT_NEAR(lengths[0], 0.05, 1e-3);  // the part of frame 80 inside the span
  for (size_t k = 1; k < starts.size(); ++k) {
    EXPECT_NEAR(starts[k], k * 0.1 - 0.05, 1e-3) << k;
    EXPECT_EQ(which[k], 80 + static_cast<int>(k));
  }
  EXPECT_NEAR(starts.back() + lengths.back(), 1.0, 1e-3) << "the last frame ends with the span";
  // The seek landed on the keyframe before 8.05 s (frame 72): nothing near 80 frames decoded.
  EXPECT_LT(r.frames_decoded(), 25);
  EXPECT_FALSE(r.read(f));
}

TEST(VideoReader, SelectPastTheEndReadsNothing) {
  TempDir dir;
  VideoReader r(long_clip(dir));
  r.select(TimeSpan{20'000'000, std::nullopt});
  Image f;
  EXPECT_FALSE(r.read(f));
  VideoReader again(dir / "long.mkv");
  ASSERT_TRUE(again.read(f));
  expect_error([&] { again.select(TimeSpan{1'000'000, std::nullopt}); }, {"before the first read"});
}

// Variable frame rate: the times given to the writer come back from the reader.
class VariableRate : public ::testing::TestWithParam<const char *> {};

TEST_P(VariableRate, FrameTimesSurvive) {
  TempDir dir;
  const auto file = dir / (std::string("vfr") + GetParam());
  const std::vector<int64_t> pts = {0, 40, 80, 200, 240, 400, 440, 480, 700};  // milliseconds
  VideoWriterOptions opts;
  if (std::string(GetParam()) == ".mov") opts.codec = VideoCodec::kProRes;
  opts.time_base = {1, 1000};
  {
    VideoWriter w(file, kW, kH, {25, 1}, opts);
    for (size_t i = 0; i < pts.size(); ++i) {
      const int64_t next = i + 1 < pts.size() ? pts[i + 1] : pts[i] + 40;
      w.write(frame_for(static_cast<int>(i)), pts[i], next - pts[i]);
    }
    w.finish();
    EXPECT_NEAR(w.seconds_written(), 0.74, 1e-9);
  }
  VideoReader r(file);
  const double tb = r.time_base().value();
  Image f;
  size_t n = 0;
  while (r.read(f)) {
    ASSERT_LT(n, pts.size());
    EXPECT_NEAR(r.frame_pts() * tb, pts[n] / 1000.0, 1e-6) << "frame " << n;
    const double next = n + 1 < pts.size() ? pts[n + 1] / 1000.0 : pts[n] / 1000.0 + 0.04;
    EXPECT_NEAR((r.frame_pts() + r.frame_duration()) * tb, next, 1e-6) << "frame " << n;
    EXPECT_EQ(closest(f, 0, 8), static_cast<int>(n));
    ++n;
  }
  EXPECT_EQ(n, pts.size());
  const auto facts = probe::probe_file(file);
  ASSERT_NE(facts.first("video"), nullptr);
  EXPECT_NEAR(facts.first("video")->start, 0.0, 1e-9);
}

INSTANTIATE_TEST_SUITE_P(Containers, VariableRate, ::testing::Values(".mp4", ".mkv", ".mov"),
                         [](const auto &info) { return std::string(info.param + 1); });

struct SoundCase {
  const char *ext;
  const char *codec;  // written
};

class Soundtrack : public ::testing::TestWithParam<SoundCase> {};

// 2 s of video over a 3 s sine: the sound is cut at 2 s and fades out over its last 0.5 s.
TEST_P(Soundtrack, CutToTheVideoAndFadedOut) {
  TempDir dir;
  const auto wav = dir / "sine.wav";
  probe::write_sine_wav(wav, 3.0);
  const auto file = dir / (std::string("v") + GetParam().ext);
  VideoWriterOptions opts;
  if (std::string(GetParam().ext) == ".mov") opts.codec = VideoCodec::kProRes;
  opts.side_streams.soundtrack = wav;
  {
    VideoWriter w(file, kW, kH, {8, 1}, opts);
    ASSERT_EQ(w.side_stream_notes().size(), 1u);
    const SideStreamNote &note = w.side_stream_notes()[0];
    EXPECT_EQ(note.action, SideStreamNote::Action::kEncoded);
    EXPECT_EQ(note.detail, GetParam().codec);
    EXPECT_EQ(note.codec, "pcm_s16le");
    EXPECT_NE(note.text().find("sine.wav: stream 0 (audio, pcm_s16le) encoded to"),
              std::string::npos)
        << note.text();
    for (int i = 0; i < 16; ++i) w.write(frame_for(i));
    w.finish();
  }
  const auto facts = probe::probe_file(file);
  const auto *audio = facts.first("audio");
  ASSERT_NE(audio, nullptr);
  EXPECT_EQ(audio->codec, GetParam().codec);
  EXPECT_EQ(audio->sample_rate, 44100);
  EXPECT_EQ(audio->channels, 2);
  EXPECT_NEAR(audio->start, 0.0, 1e-6);
  EXPECT_NEAR(audio->end, 2.0, kAacFrame) << "cut at the video's end";
  EXPECT_NEAR(facts.first("video")->start, 0.0, 1e-9);

  const auto sound = probe::decode_audio(file);
  const float steady = sound.peak(0.5, 1.0);
  EXPECT_NEAR(steady, 0.5, 0.05);
  EXPECT_GT(sound.peak(1.40, 1.49), 0.95 * steady) << "full level before the fade";
  EXPECT_NEAR(sound.peak(1.70, 1.75), 0.6 * steady, 0.1 * steady) << "half way down";
  EXPECT_LT(sound.peak(1.96, 2.0), 0.1 * steady) << "faded out at the end";
}

INSTANTIATE_TEST_SUITE_P(Containers, Soundtrack,
                         ::testing::Values(SoundCase{".mp4", "aac"}, SoundCase{".mkv", "aac"},
                                           SoundCase{".mov", "pcm_s16le"}),
                         [](const auto &info) { return std::string(info.param.ext + 1); });

TEST(Soundtrack, ShorterThanTheVideoFadesAtItsOwnEnd) {
  TempDir dir;
  const auto wav = dir / "short.wav";
  probe::write_sine_wav(wav, 1.0);
  const auto file = dir / "v.mp4";
  VideoWriterOptions opts;
  opts.side_streams.soundtrack = wav;
  opts.side_streams.fade_out_seconds = 0.25;
  {
    VideoWriter w(file, kW, kH, {8, 1}, opts);
    for (int i = 0; i < 16; ++i) w.write(frame_for(i));
  }
  const auto facts = probe::probe_file(file);
  EXPECT_NEAR(facts.first("audio")->end, 1.0, kAacFrame);
  const auto sound = probe::decode_audio(file);
  EXPECT_NEAR(sound.peak(0.5, 0.7), 0.5, 0.05);
  EXPECT_LT(sound.peak(0.97, 1.0), 0.1);
}

TEST(Soundtrack, Errors) {
  TempDir dir;
  VideoWriterOptions opts;
  opts.side_streams.soundtrack = dir / "missing.wav";
  const auto out = dir / "v.mp4";
  expect_error(
      [&] {
        VideoWriter(out, kW, kH, {8, 1}, opts);
      },
      {"missing.wav", "cannot open (soundtrack)", "No such file"});
  EXPECT_FALSE(std::filesystem::exists(out));
  // A video file without sound.
  {
    VideoWriter w(dir / "silent.mkv", kW, kH, {8, 1});
    w.write(frame_for(0));
  }
  opts.side_streams.soundtrack = dir / "silent.mkv";
  expect_error([&] { VideoWriter(out, kW, kH, {8, 1}, opts); }, {"silent.mkv", "no audio stream"});
  EXPECT_FALSE(std::filesystem::exists(out));
  VideoWriterOptions keep;
  keep.side_streams.keep_from = dir / "gone.mp4";
  expect_error([&] { VideoWriter(out, kW, kH, {8, 1}, keep); }, {"gone.mp4", "cannot open"});
  EXPECT_FALSE(std::filesystem::exists(out));
  VideoWriter plain(out, kW, kH, {8, 1});
  expect_error([&] { plain.write(frame_for(0), 0, 1); }, {"time_base"});
}

// A 3 s source: 24 frames at 8 fps over a sine that starts at 1.5 s (the sync mark), its
// sound in `audio_codec` ("aac" in .mp4, PCM in .mov).
std::filesystem::path source_with_sound(const TempDir &dir, const std::string &name) {
  const auto wav = dir / "mark.wav";
  probe::write_sine_wav(wav, 3.0, 44100, 2, 1.5);
  const auto file = dir / name;
  VideoWriterOptions opts;
  if (file.extension() == ".mov") opts.codec = VideoCodec::kProRes;
  opts.side_streams.soundtrack = wav;
  opts.side_streams.fade_out_seconds = 0;
  VideoWriter w(file, kW, kH, {8, 1}, opts);
  for (int i = 0; i < 24; ++i) w.write(frame_for(i));
  w.finish();
  return file;
}

// Copies frames [start, start + duration) of `source` into `out` with their own times and
// the source's other streams, as `amused stylize` does (without restyling).
std::vector<SideStreamNote> recut(const std::filesystem::path &source,
                                  const std::filesystem::path &out, TimeSpan span, int *frames) {
  VideoReader r(source);
  r.select(span);
  VideoWriterOptions opts;
  if (out.extension() == ".mov") opts.codec = VideoCodec::kProRes;
  opts.time_base = r.time_base();
  opts.side_streams.keep_from = source;
  opts.side_streams.span = span;
  VideoWriter w(out, r.width(), r.height(), r.framerate(), opts);
  Image f;
  *frames = 0;
  while (r.read(f)) {
    w.write(f, r.frame_pts(), r.frame_duration());
    ++*frames;
  }
  w.finish();
  return w.side_stream_notes();
}

struct KeepCase {
  const char *source, *out;
  SideStreamNote::Action action;
  const char *codec;   // in the output
  double start_slack;  // how far the audio may start from 0: packets come whole
};

class KeepStreams : public ::testing::TestWithParam<KeepCase> {};

TEST_P(KeepStreams, CutToTheSpanInSync) {
  const KeepCase c = GetParam();
  TempDir dir;
  const auto source = source_with_sound(dir, c.source);
  const auto out = dir / c.out;
  int frames = 0;
  const auto notes = recut(source, out, TimeSpan{1'000'000, 1'000'000}, &frames);
  EXPECT_EQ(frames, 8);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].action, c.action) << notes[0].text();
  EXPECT_EQ(notes[0].type, "audio");

  const auto facts = probe::probe_file(out);
  ASSERT_EQ(facts.count("video"), 1);
  ASSERT_EQ(facts.count("audio"), 1);
  const auto *video = facts.first("video");
  const auto *audio = facts.first("audio");
  EXPECT_NEAR(video->start, 0.0, 1e-9);
  EXPECT_NEAR(video->end, 1.0, 1e-3);
  EXPECT_EQ(audio->codec, c.codec);
  EXPECT_NEAR(audio->start, 0.0, c.start_slack + 1e-6);
  EXPECT_NEAR(audio->end, 1.0, kAacFrame) << "the audio lasts as long as the video";

  // The mark: silence until 1.5 s of the source, so 0.5 s of the output.
  const auto sound = probe::decode_audio(out);
  const double offset = audio->start;  // decoded samples begin where the stream does
  EXPECT_LT(sound.peak(0, 0.48 - offset), 0.02) << "silent before the mark";
  EXPECT_GT(sound.peak(0.52 - offset, 0.6 - offset), 0.4) << "the tone from the mark on";
}

INSTANTIATE_TEST_SUITE_P(
    Containers, KeepStreams,
    ::testing::Values(
        // AAC copied: packets whole, the edit list of MP4/MOV trims the first.
        KeepCase{"src.mp4", "cut.mp4", SideStreamNote::Action::kCopied, "aac", 0},
        KeepCase{"src.mp4", "cut.mov", SideStreamNote::Action::kCopied, "aac", 0},
        // Matroska has no edit list: the straddling packet is left out.
        KeepCase{"src.mp4", "cut.mkv", SideStreamNote::Action::kCopied, "aac", kAacFrame},
        // PCM: MP4 cannot hold it, so it is encoded, cut to the sample.
        KeepCase{"src.mov", "cut.mp4", SideStreamNote::Action::kEncoded, "aac", 0},
        KeepCase{"src.mov", "cut.mkv", SideStreamNote::Action::kCopied, "pcm_s16le", 0.03}),
    [](const auto &info) {
      std::string n = std::string(info.param.source) + "_" + info.param.out;
      for (char &ch : n)
        if (ch == '.') ch = '_';
      return n;
    });

TEST(KeepStreams, WholeFileKeepsEverything) {
  TempDir dir;
  const auto source = source_with_sound(dir, "src.mp4");
  int frames = 0;
  recut(source, dir / "all.mkv", TimeSpan{}, &frames);
  EXPECT_EQ(frames, 24);
  const auto facts = probe::probe_file(dir / "all.mkv");
  EXPECT_NEAR(facts.first("video")->end, 3.0, 1e-3);
  EXPECT_NEAR(facts.first("audio")->end, 3.0, kAacFrame);
}

// The plan for each kind of stream and container.
AVStream *add_stream(AVFormatContext *fc, AVMediaType type, AVCodecID codec) {
  AVStream *st = avformat_new_stream(fc, nullptr);
  st->codecpar->codec_type = type;
  st->codecpar->codec_id = codec;
  return st;
}

TEST(StreamPlan, CopyEncodeOrDrop) {
  using detail::StreamAction;
  AVFormatContext *fc = avformat_alloc_context();
  const auto *mp4 = av_guess_format("mp4", nullptr, nullptr);
  const auto *mov = av_guess_format("mov", nullptr, nullptr);
  const auto *mkv = av_guess_format("matroska", nullptr, nullptr);
  struct {
    const AVOutputFormat *format;
    AVMediaType type;
    AVCodecID codec;
    StreamAction action;
    AVCodecID encoder;
  } const cases[] = {
      {mp4, AVMEDIA_TYPE_AUDIO, AV_CODEC_ID_AAC, StreamAction::kCopy, AV_CODEC_ID_NONE},
      {mp4, AVMEDIA_TYPE_AUDIO, AV_CODEC_ID_MP3, StreamAction::kCopy, AV_CODEC_ID_NONE},
      {mp4, AVMEDIA_TYPE_AUDIO, AV_CODEC_ID_PCM_S16LE, StreamAction::kEncode, AV_CODEC_ID_AAC},
      {mp4, AVMEDIA_TYPE_AUDIO, AV_CODEC_ID_VORBIS, StreamAction::kEncode, AV_CODEC_ID_AAC},
      {mp4, AVMEDIA_TYPE_AUDIO, AV_CODEC_ID_FLAC, StreamAction::kEncode, AV_CODEC_ID_AAC},
      {mov, AVMEDIA_TYPE_AUDIO, AV_CODEC_ID_PCM_S16LE, StreamAction::kCopy, AV_CODEC_ID_NONE},
      {mov, AVMEDIA_TYPE_AUDIO, AV_CODEC_ID_VORBIS, StreamAction::kEncode, AV_CODEC_ID_PCM_S16LE},
      {mov, AVMEDIA_TYPE_AUDIO, AV_CODEC_ID_OPUS, StreamAction::kEncode, AV_CODEC_ID_PCM_S16LE},
      {mkv, AVMEDIA_TYPE_AUDIO, AV_CODEC_ID_VORBIS, StreamAction::kCopy, AV_CODEC_ID_NONE},
      {mkv, AVMEDIA_TYPE_SUBTITLE, AV_CODEC_ID_SUBRIP, StreamAction::kCopy, AV_CODEC_ID_NONE},
      {mp4, AVMEDIA_TYPE_SUBTITLE, AV_CODEC_ID_SUBRIP, StreamAction::kDrop, AV_CODEC_ID_NONE},
      {mp4, AVMEDIA_TYPE_SUBTITLE, AV_CODEC_ID_MOV_TEXT, StreamAction::kCopy, AV_CODEC_ID_NONE},
      {mp4, AVMEDIA_TYPE_DATA, AV_CODEC_ID_DVD_NAV, StreamAction::kDrop, AV_CODEC_ID_NONE},
      {mkv, AVMEDIA_TYPE_VIDEO, AV_CODEC_ID_MJPEG, StreamAction::kDrop, AV_CODEC_ID_NONE},
  };
  for (const auto &c : cases) {
    const AVStream *st = add_stream(fc, c.type, c.codec);
    const auto plan = detail::plan_stream(c.format, st);
    const std::string what = std::string(avcodec_get_name(c.codec)) + " in " + c.format->name;
    EXPECT_EQ(plan.action, c.action) << what;
    EXPECT_EQ(plan.encoder, c.encoder) << what;
    if (plan.action == StreamAction::kDrop) {
      EXPECT_FALSE(plan.why.empty()) << what;
    }
  }
  avformat_free_context(fc);
}

}  // namespace
}  // namespace amused::media
