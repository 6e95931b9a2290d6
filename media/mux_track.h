// Internal to media/: one stream of a VideoWriter's file beside its video (a copied or an
// encoded stream of another file), and the output file as such a stream sees it.
//
// Times: every track places its input on the output timeline with `offset`, the input
// ticks where the output's 0 lies (the span's start on the input file's timeline). The
// writer calls write_until() as the video advances and finish() once the video's end is
// known; a track writes nothing at or after that end.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "av_util.h"

namespace amused::media::detail {

constexpr AVRational kMicroseconds{1, 1000000};

// The output file: its muxer and path (for errors).
struct MuxTarget {
  AVFormatContext *format = nullptr;
  std::filesystem::path path;

  // Interleaves and writes `packet` (and unrefs it); throws naming the path and `what`.
  void write(AVPacket *packet, const std::string &what) const {
    const int err = av_interleaved_write_frame(format, packet);
    if (err < 0) throw_av_error(path, "cannot write a packet of " + what, err);
  }
  // Whether the container keeps timestamps below 0 (MP4 and MOV, through an edit list); in
  // others (Matroska) FFmpeg would shift every stream to make them positive.
  bool keeps_negative_times() const { return (format->oformat->flags & AVFMT_TS_NEGATIVE) != 0; }
};

class Track {
 public:
  virtual ~Track() = default;
  // A packet of the track's input stream (times in that stream's time base). The track takes
  // what it needs from it; the caller unrefs it afterwards.
  virtual void push(AVPacket *packet) = 0;
  // Writes what lies before `until_us` on the output timeline and can no longer change.
  virtual void write_until(int64_t until_us) = 0;
  // The video ends at `end_us`: writes the rest before it and nothing after. `input_done`:
  // the input file has no more packets (decoders are drained).
  virtual void finish(int64_t end_us, bool input_done) = 0;
};

}  // namespace amused::media::detail
