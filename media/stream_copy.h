// Internal to media/: a stream copied packet for packet (no re-encoding) from an input file
// into the output, cut to the span. Audio and data packets are kept whole: one that
// straddles the span's start is kept where the container holds negative times (MP4, MOV:
// the edit list hides its first part), with the audio packet before it for the decoder to
// start from, and left out elsewhere; one that starts before the end is kept. Subtitles that
// straddle an edge are shortened to it.
#pragma once

#include <deque>
#include <optional>
#include <string>

#include "mux_track.h"

namespace amused::media::detail {

class StreamCopy : public Track {
 public:
  // Adds the output stream to `out` (before its header is written). `offset`: the input
  // ticks where the output's 0 lies; `span_end_us`: the span's length, if set.
  StreamCopy(const MuxTarget &out, const AVStream *in, int64_t offset,
             std::optional<int64_t> span_end_us, std::string what);

  void push(AVPacket *packet) override;
  void write_until(int64_t until_us) override;
  void finish(int64_t end_us, bool input_done) override;

 private:
  void write_before(int64_t limit_us, bool cut);

  MuxTarget out_;
  AVStream *stream_ = nullptr;  // owned by out_.format
  AVRational in_tb_{};
  AVMediaType type_ = AVMEDIA_TYPE_UNKNOWN;
  int64_t offset_ = 0;
  std::optional<int64_t> span_end_;  // in input ticks from the output's 0
  std::string what_;                 // "clip.mp4 stream 1 (audio, aac)"
  std::deque<PacketPtr> queue_;      // pushed packets not written yet, times from the output's 0
  PacketPtr preroll_;                // the last audio packet before the span, while none in it
  bool started_ = false;             // a packet in the span was queued
};

}  // namespace amused::media::detail
