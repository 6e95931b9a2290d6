// Internal to media/: an audio stream of an input file decoded, cut to the span to the
// sample, and encoded into the output (AAC or PCM, through AudioEncoder), optionally faded
// out at its end. Used where the output container cannot hold the input's codec, and for
// soundtracks.
#pragma once

#include <optional>
#include <string>

#include "audio_encoder.h"
#include "mux_track.h"

namespace amused::media::detail {

class AudioTranscode : public Track {
 public:
  // Opens the decoder for `in` and the `codec` encoder, and adds the output stream to `out`
  // (before its header is written). `offset`: the input ticks where the output's 0 lies;
  // `span_end_us`: the span's length, if set.
  AudioTranscode(const MuxTarget &out, const AVStream *in, int64_t offset,
                 std::optional<int64_t> span_end_us, AVCodecID codec, double fade_out_seconds,
                 std::string what);

  void push(AVPacket *packet) override;
  void write_until(int64_t until_us) override;
  void finish(int64_t end_us, bool input_done) override;

 private:
  void receive_frames();
  void take(const AVFrame *frame);
  void write(AVPacket *packet);
  int64_t position(int64_t us) const;  // output samples

  MuxTarget out_;
  AVStream *stream_ = nullptr;  // owned by out_.format
  AVRational in_tb_{};
  int64_t offset_ = 0;
  std::optional<int64_t> span_end_us_;
  std::string what_;
  CodecContextPtr decoder_;
  FramePtr frame_;
  std::optional<AudioEncoder> encoder_;
  int64_t next_input_sample_ = 0;  // input samples from the output's 0 after the last taken
  bool done_ = false;
};

}  // namespace amused::media::detail
