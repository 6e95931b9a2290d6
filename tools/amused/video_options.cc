#include "video_options.h"

#include <cmath>
#include <cstdlib>
#include <numeric>

#include "cli_error.h"

namespace amused::cli {

void ConsistencyOptions::add_to(OptionParser &p) {
  p.add_string("cross-frame-attention", 0, "MODE",
               "none, first or first-and-previous: which earlier frames every frame attends to "
               "(default: first)",
               &cross_frame_attention);
  p.add_flag("no-reuse-tokens", 0,
             "generate every frame from scratch instead of keeping unchanged tokens (default: "
             "tokens are reused)",
             &no_reuse_tokens);
  p.add_int("remask-boundary", 0, "N",
            "tokens re-masked next to new or changed ones, 0..8 (default: 1)", &remask_boundary);
}

ConsistencyParams ConsistencyOptions::params() const {
  if (remask_boundary < 0 || remask_boundary > 8)
    throw UsageError("--remask-boundary: " + std::to_string(remask_boundary) + " is outside 0..8");
  ConsistencyParams c;
  c.cross_frame_attention =
      parse_flag("--cross-frame-attention", cross_frame_attention, parse_cross_frame_attention);
  c.reuse_tokens = !no_reuse_tokens;
  c.remask_boundary = remask_boundary;
  return c;
}

media::TimeSpan parse_span(const std::string &start, const std::string &duration) {
  media::TimeSpan span;
  if (!start.empty()) {
    const auto us = media::parse_seconds(start);
    if (!us) throw UsageError("--start: '" + start + "' is not a time in seconds (e.g. 12.5)");
    span.start_us = *us;
  }
  if (!duration.empty()) {
    const auto us = media::parse_seconds(duration);
    if (!us || *us == 0)
      throw UsageError("--duration: '" + duration + "' is not a positive time in seconds (e.g. 4)");
    span.duration_us = *us;
  }
  return span;
}

void EncodeOptions::add_to(OptionParser &p) {
  p.add_string("output", 'o', "FILE", "video file to write: .mp4, .mov or .mkv (required)",
               &output);
  p.add_string("codec", 'c', "NAME",
               "h264 (libx264), prores (prores_ks) or mpeg4 (default: prores for .mov, else h264)",
               &codec);
  p.add_string("frames-dir", 0, "DIR", "also write every frame there as NNNN.png (default: none)",
               &frames_dir);
}

media::VideoWriterOptions EncodeOptions::writer_options() const {
  media::VideoWriterOptions o;
  if (codec.empty()) {
    const bool mov = output.size() >= 4 && output.compare(output.size() - 4, 4, ".mov") == 0;
    o.codec = mov ? media::VideoCodec::kProRes : media::VideoCodec::kH264;
  } else if (auto c = media::parse_video_codec(codec)) {
    o.codec = *c;
  } else {
    throw UsageError("--codec: unknown codec '" + codec + "' (h264, prores or mpeg4)");
  }
  return o;
}

}  // namespace amused::cli
