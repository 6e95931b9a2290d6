#include "audio_transcode.h"

#include <algorithm>
#include <utility>

namespace amused::media::detail {

AudioTranscode::AudioTranscode(const MuxTarget &out, const AVStream *in, int64_t offset,
                               std::optional<int64_t> span_end_us, AVCodecID codec,
                               double fade_out_seconds, std::string what)
    : out_(out),
      in_tb_(in->time_base),
      offset_(offset),
      span_end_us_(span_end_us),
      what_(std::move(what)) {
  const AVCodec *decoder = avcodec_find_decoder(in->codecpar->codec_id);
  if (decoder == nullptr) throw_error(what_, "this FFmpeg build has no decoder for it");
  decoder_.reset(avcodec_alloc_context3(decoder));
  if (!decoder_) throw_error(what_, "out of memory allocating its decoder");
  int err = avcodec_parameters_to_context(decoder_.get(), in->codecpar);
  if (err < 0) throw_av_error(what_, "cannot configure its decoder", err);
  decoder_->pkt_timebase = in->time_base;
  err = avcodec_open2(decoder_.get(), decoder, nullptr);
  if (err < 0) throw_av_error(what_, "cannot open its decoder", err);
  frame_ = make_frame();

  const bool global_header = (out_.format->oformat->flags & AVFMT_GLOBALHEADER) != 0;
  encoder_.emplace(codec, decoder_.get(), global_header, fade_out_seconds, out_.path, what_);
  stream_ = avformat_new_stream(out_.format, nullptr);
  if (stream_ == nullptr) throw_error(out_.path, "cannot add a stream for " + what_);
  err = avcodec_parameters_from_context(stream_->codecpar, encoder_->context());
  if (err < 0) throw_av_error(out_.path, "cannot set up the stream for " + what_, err);
  stream_->time_base = encoder_->context()->time_base;
  stream_->disposition = in->disposition;
  av_dict_copy(&stream_->metadata, in->metadata, 0);
}

int64_t AudioTranscode::position(int64_t us) const {
  return av_rescale_q(us, kMicroseconds, AVRational{1, encoder_->sample_rate()});
}

void AudioTranscode::push(AVPacket *packet) {
  if (done_) return;
  const int err = avcodec_send_packet(decoder_.get(), packet);
  // A damaged packet costs its samples, not the stream (as the video reader does).
  if (err == AVERROR_INVALIDDATA) return;
  if (err < 0 && err != AVERROR(EAGAIN)) throw_av_error(what_, "cannot decode", err);
  receive_frames();
}

void AudioTranscode::receive_frames() {
  for (;;) {
    const int err = avcodec_receive_frame(decoder_.get(), frame_.get());
    if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return;
    if (err == AVERROR_INVALIDDATA) continue;
    if (err < 0) throw_av_error(what_, "cannot decode", err);
    take(frame_.get());
    av_frame_unref(frame_.get());
  }
}

// Places a decoded frame on the output timeline: samples before 0 and after the span are
// left out. The first frame that reaches into the span sets where the audio starts; the
// ones after follow it sample for sample.
void AudioTranscode::take(const AVFrame *frame) {
  const int rate = frame->sample_rate;
  if (rate <= 0 || frame->nb_samples <= 0) return;
  int64_t first = next_input_sample_;
  if (!encoder_->started()) {
    int64_t ts = frame->best_effort_timestamp;
    if (ts == AV_NOPTS_VALUE) ts = frame->pts;
    first = ts == AV_NOPTS_VALUE ? 0 : av_rescale_q(ts - offset_, in_tb_, AVRational{1, rate});
  }
  int offset = 0;
  int count = frame->nb_samples;
  if (first < 0) {
    if (first + count <= 0) return;  // before the span
    offset = static_cast<int>(-first);
    count -= offset;
    first = 0;
  }
  if (span_end_us_) {
    const int64_t end = av_rescale_q(*span_end_us_, kMicroseconds, AVRational{1, rate});
    count = static_cast<int>(std::clamp<int64_t>(end - first, 0, count));
  }
  if (count <= 0) return;
  if (!encoder_->started()) {
    encoder_->start_at(av_rescale(first, encoder_->sample_rate(), rate));
  }
  encoder_->add(frame, offset, count);
  next_input_sample_ = first + count;
}

void AudioTranscode::write(AVPacket *packet) {
  // Encoder priming (AAC's first 1024 samples) lies before 0; containers that cannot keep
  // negative times would shift every stream for it, so it is left out there.
  if (!out_.keeps_negative_times() && packet->pts != AV_NOPTS_VALUE && packet->pts < 0) return;
  av_packet_rescale_ts(packet, encoder_->context()->time_base, stream_->time_base);
  packet->stream_index = stream_->index;
  out_.write(packet, what_);
}

void AudioTranscode::write_until(int64_t until_us) {
  if (done_) return;
  encoder_->encode_until(position(until_us), [this](AVPacket *p) { write(p); });
}

void AudioTranscode::finish(int64_t end_us, bool input_done) {
  if (done_) return;
  if (input_done) {
    const int err = avcodec_send_packet(decoder_.get(), nullptr);
    if (err >= 0 || err == AVERROR_EOF) receive_frames();
  }
  done_ = true;
  encoder_->finish(position(end_us), [this](AVPacket *p) { write(p); });
}

}  // namespace amused::media::detail
