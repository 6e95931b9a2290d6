// Fuzzes the video reader (media::VideoReader: FFmpeg's demuxers and decoders, then our
// timing, seeking and RGB conversion) on mutated container bytes. At most kMaxFrames frames
// are read per input, so one input costs a bounded time. The input's length picks how the
// file is read: whole (size % 3 == 0), from 0.1 s (1) or its first 0.1 s (2), so the seek
// and span paths are fuzzed with the same seeds.
#include <cmath>

#include "amused.h"
#include "ffmpeg_log.h"
#include "fuzz_util.h"
#include "video_reader.h"

namespace {
constexpr int kMaxFrames = 8;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const bool quiet = [] {
    amused::media::set_ffmpeg_log_level(amused::media::FfmpegLogLevel::kQuiet);
    return true;
  }();
  (void)quiet;
  const auto path = amused::fuzz::write_scratch("input", data, size);
  try {
    amused::media::VideoReader reader(path);
    FUZZ_CHECK(reader.width() > 0 && reader.height() > 0);
    const auto rate = reader.framerate();
    FUZZ_CHECK(rate.den > 0 && rate.num >= 0);
    if (auto d = reader.duration()) FUZZ_CHECK(*d > 0 && std::isfinite(*d));
    (void)reader.codec_name();
    (void)reader.frame_count();
    amused::media::TimeSpan span;
    if (size % 3 == 1) span.start_us = 100000;
    if (size % 3 == 2) span.duration_us = 100000;
    if (!span.whole()) reader.select(span);
    amused::Image frame;
    for (int i = 0; i < kMaxFrames && reader.read(frame); ++i) {
      FUZZ_CHECK(frame.width > 0 && frame.height > 0 && frame.channels == 3);
      FUZZ_CHECK(frame.pixels.size() == static_cast<size_t>(frame.width) * frame.height * 3);
      FUZZ_CHECK(reader.frame_pts() >= 0);
      FUZZ_CHECK(reader.frame_duration() > 0);
      FUZZ_CHECK(reader.frames_read() == i + 1);
      (void)reader.timestamp();
    }
  } catch (const amused::Error &e) {
    amused::fuzz::rejected(e);
    // Not a video FFmpeg can read, or damaged past decoding: refused with a message.
  }
  return 0;
}
