// Internal to media/: decoded audio in any format, rate and channel layout in; AAC or PCM
// packets out, resampled through libswresample, cut to the sample and faded out at the end.
//
// Positions are sample counts at the encoder's rate from the output's 0. The encoder holds
// back the last `fade_out` seconds before the position it is told to encode up to and before
// the last sample it was given, so the fade can still be applied once the end is known,
// whether the video or the audio ends first.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "av_util.h"

namespace amused::media::detail {

class AudioEncoder {
 public:
  using Emit = std::function<void(AVPacket *)>;

  // An encoder for `codec` (AV_CODEC_ID_AAC or AV_CODEC_ID_PCM_S16LE) taking audio shaped like
  // `input` (a decoder context: rate, channel layout): the same rate and layout where the
  // encoder supports them, else 48 kHz and stereo (mono stays mono). `global_header`: the
  // container wants codec headers out of band. Errors name `path` and `what`.
  AudioEncoder(AVCodecID codec, const AVCodecContext *input, bool global_header,
               double fade_out_seconds, const std::filesystem::path &path, std::string what);
  ~AudioEncoder();
  AudioEncoder(const AudioEncoder &) = delete;
  AudioEncoder &operator=(const AudioEncoder &) = delete;

  const AVCodecContext *context() const { return encoder_.get(); }
  int sample_rate() const { return encoder_->sample_rate; }

  // The first sample given to add() plays at `position`.
  void start_at(int64_t position);
  bool started() const { return started_; }
  // Samples [offset, offset + count) of a decoded frame, following the ones added before.
  void add(const AVFrame *frame, int offset, int count);
  // Encodes the whole frames that end a fade's length before `position` and before the last
  // sample added.
  void encode_until(int64_t position, const Emit &emit);
  // Cuts at `end`, fades out the last samples, encodes the rest and drains the encoder.
  void finish(int64_t end, const Emit &emit);

 private:
  void configure_resampler(const AVFrame *frame);
  void resample(const uint8_t *const *data, int count);  // nullptr, 0: flush
  void encode_frame(int count, const Emit &emit);
  void receive_packets(const Emit &emit);
  void fade_tail();

  std::filesystem::path path_;
  std::string what_;
  CodecContextPtr encoder_;
  SwrPtr swr_;
  AudioFifoPtr fifo_;
  FramePtr frame_;      // what the encoder is sent
  FramePtr converted_;  // the resampler's output
  PacketPtr packet_;
  int frame_size_ = 1024;
  // The resampler's input, rebuilt when a frame differs.
  int in_rate_ = 0;
  AVSampleFormat in_format_ = AV_SAMPLE_FMT_NONE;
  AVChannelLayout in_layout_{};
  int64_t fifo_position_ = 0;  // the position of the fifo's first sample
  int64_t fade_samples_ = 0;
  bool started_ = false;
  bool finished_ = false;
};

}  // namespace amused::media::detail
