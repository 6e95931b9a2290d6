#include "audio_encoder.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

namespace amused::media::detail {

namespace {

bool supports_rate(const AVCodec *codec, int rate) {
  if (codec->supported_samplerates == nullptr) return true;
  for (const int *r = codec->supported_samplerates; *r != 0; ++r) {
    if (*r == rate) return true;
  }
  return false;
}

bool supports_layout(const AVCodec *codec, const AVChannelLayout &layout) {
  if (codec->ch_layouts == nullptr) return true;
  for (const AVChannelLayout *l = codec->ch_layouts; l->nb_channels != 0; ++l) {
    if (av_channel_layout_compare(l, &layout) == 0) return true;
  }
  return false;
}

// The layout a frame or decoder says it has; an unordered one gets the usual layout of its
// channel count.
void usable_layout(const AVChannelLayout &in, AVChannelLayout *out) {
  if (in.nb_channels > 0 && in.order != AV_CHANNEL_ORDER_UNSPEC && av_channel_layout_check(&in)) {
    av_channel_layout_copy(out, &in);
  } else {
    av_channel_layout_default(out, in.nb_channels > 0 ? in.nb_channels : 2);
  }
}

// Gain for the sample `left` samples before the end of a fade of `length` samples.
template <typename T>
void scale(T *data, int64_t count, int stride, int64_t first_left, int64_t length) {
  for (int64_t i = 0; i < count; ++i) {
    const double gain = static_cast<double>(first_left - i) / static_cast<double>(length);
    T &v = data[i * stride];
    v = static_cast<T>(std::lround(v * gain));
  }
}
template <>
void scale<float>(float *data, int64_t count, int stride, int64_t first_left, int64_t length) {
  for (int64_t i = 0; i < count; ++i) {
    data[i * stride] *= static_cast<float>(first_left - i) / static_cast<float>(length);
  }
}

}  // namespace

AudioEncoder::AudioEncoder(AVCodecID codec_id, const AVCodecContext *input, bool global_header,
                           double fade_out_seconds, const std::filesystem::path &path,
                           std::string what)
    : path_(path), what_(std::move(what)) {
  const AVCodec *codec = avcodec_find_encoder(codec_id);
  if (codec == nullptr) {
    throw_error(path_, std::string("this FFmpeg build has no ") + avcodec_get_name(codec_id) +
                           " encoder (for " + what_ + ")");
  }
  encoder_.reset(avcodec_alloc_context3(codec));
  if (!encoder_) throw_error(path_, "out of memory allocating the audio encoder");
  AVCodecContext *c = encoder_.get();

  c->sample_rate = input->sample_rate > 0 ? input->sample_rate : 48000;
  if (!supports_rate(codec, c->sample_rate)) c->sample_rate = 48000;
  AVChannelLayout layout{};
  usable_layout(input->ch_layout, &layout);
  if (!supports_layout(codec, layout)) {
    const int channels = layout.nb_channels == 1 ? 1 : 2;
    av_channel_layout_uninit(&layout);
    av_channel_layout_default(&layout, channels);
  }
  av_channel_layout_copy(&c->ch_layout, &layout);
  av_channel_layout_uninit(&layout);
  c->sample_fmt = codec->sample_fmts != nullptr ? codec->sample_fmts[0] : AV_SAMPLE_FMT_S16;
  c->time_base = AVRational{1, c->sample_rate};
  if (codec_id == AV_CODEC_ID_AAC) {
    const int channels = c->ch_layout.nb_channels;
    c->bit_rate = channels <= 2 ? 128000 : 64000 * channels;
  }
  if (global_header) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  const int err = avcodec_open2(c, codec, nullptr);
  if (err < 0) {
    throw_av_error(path_, std::string("cannot open the ") + codec->name + " encoder for " + what_,
                   err);
  }
  if (c->frame_size > 0) frame_size_ = c->frame_size;
  fifo_.reset(av_audio_fifo_alloc(c->sample_fmt, c->ch_layout.nb_channels, frame_size_ * 4));
  if (!fifo_) throw_error(path_, "out of memory allocating an audio buffer");
  frame_ = make_frame();
  packet_ = make_packet();
  if (fade_out_seconds > 0) fade_samples_ = std::llround(fade_out_seconds * c->sample_rate);
}

AudioEncoder::~AudioEncoder() { av_channel_layout_uninit(&in_layout_); }

void AudioEncoder::start_at(int64_t position) {
  fifo_position_ = position;
  started_ = true;
}

void AudioEncoder::configure_resampler(const AVFrame *frame) {
  AVChannelLayout layout{};
  usable_layout(frame->ch_layout, &layout);
  const auto format = static_cast<AVSampleFormat>(frame->format);
  if (swr_ && frame->sample_rate == in_rate_ && format == in_format_ &&
      av_channel_layout_compare(&layout, &in_layout_) == 0) {
    av_channel_layout_uninit(&layout);
    return;
  }
  if (swr_) resample(nullptr, 0);  // what the old resampler still holds
  SwrContext *swr = nullptr;
  int err =
      swr_alloc_set_opts2(&swr, &encoder_->ch_layout, encoder_->sample_fmt, encoder_->sample_rate,
                          &layout, format, frame->sample_rate, 0, nullptr);
  swr_.reset(swr);
  if (err >= 0) err = swr_init(swr);
  if (err < 0) {
    av_channel_layout_uninit(&layout);
    throw_av_error(path_, "cannot resample " + what_, err);
  }
  in_rate_ = frame->sample_rate;
  in_format_ = format;
  av_channel_layout_uninit(&in_layout_);
  in_layout_ = layout;  // takes over what `layout` owns
}

void AudioEncoder::resample(const uint8_t *const *data, int count) {
  const int room = swr_get_out_samples(swr_.get(), count);
  if (room <= 0) return;
  if (!converted_ || converted_->nb_samples < room) {
    converted_ = make_frame();
    converted_->format = encoder_->sample_fmt;
    av_channel_layout_copy(&converted_->ch_layout, &encoder_->ch_layout);
    converted_->sample_rate = encoder_->sample_rate;
    converted_->nb_samples = room;
    const int err = av_frame_get_buffer(converted_.get(), 0);
    if (err < 0) throw_av_error(path_, "cannot allocate audio for " + what_, err);
  }
  const int n = swr_convert(swr_.get(), converted_->extended_data, room,
                            const_cast<const uint8_t **>(data), count);
  if (n < 0) throw_av_error(path_, "cannot resample " + what_, n);
  if (n > 0 && av_audio_fifo_write(fifo_.get(),
                                   reinterpret_cast<void **>(converted_->extended_data), n) < n) {
    throw_error(path_, "out of memory buffering " + what_);
  }
}

void AudioEncoder::add(const AVFrame *frame, int offset, int count) {
  if (count <= 0 || finished_) return;
  configure_resampler(frame);
  const auto format = static_cast<AVSampleFormat>(frame->format);
  const int channels = frame->ch_layout.nb_channels;
  const int bytes = av_get_bytes_per_sample(format);
  std::vector<const uint8_t *> planes;
  if (av_sample_fmt_is_planar(format)) {
    for (int c = 0; c < channels; ++c) planes.push_back(frame->extended_data[c] + offset * bytes);
  } else {
    planes.push_back(frame->extended_data[0] + static_cast<size_t>(offset) * bytes * channels);
  }
  resample(planes.data(), count);
}

void AudioEncoder::receive_packets(const Emit &emit) {
  for (;;) {
    const int err = avcodec_receive_packet(encoder_.get(), packet_.get());
    if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return;
    if (err < 0) throw_av_error(path_, "cannot encode " + what_, err);
    emit(packet_.get());
    av_packet_unref(packet_.get());
  }
}

void AudioEncoder::encode_frame(int count, const Emit &emit) {
  // An encoder that wants whole frames gets the last one padded with silence.
  const auto caps = encoder_->codec->capabilities;
  const bool pad = count < frame_size_ && !(caps & AV_CODEC_CAP_SMALL_LAST_FRAME) &&
                   !(caps & AV_CODEC_CAP_VARIABLE_FRAME_SIZE);
  AVFrame *f = frame_.get();
  f->nb_samples = pad ? frame_size_ : count;
  f->format = encoder_->sample_fmt;
  f->sample_rate = encoder_->sample_rate;
  av_channel_layout_copy(&f->ch_layout, &encoder_->ch_layout);
  int err = av_frame_get_buffer(f, 0);
  if (err < 0) throw_av_error(path_, "cannot allocate audio for " + what_, err);
  if (pad) {
    av_samples_set_silence(f->extended_data, 0, frame_size_, encoder_->ch_layout.nb_channels,
                           encoder_->sample_fmt);
  }
  av_audio_fifo_read(fifo_.get(), reinterpret_cast<void **>(f->extended_data), count);
  f->pts = fifo_position_;
  fifo_position_ += count;
  err = avcodec_send_frame(encoder_.get(), f);
  av_frame_unref(f);
  if (err < 0) throw_av_error(path_, "cannot encode " + what_, err);
  receive_packets(emit);
}

void AudioEncoder::encode_until(int64_t position, const Emit &emit) {
  // The fade may end at `position` or later (the video's end), or where the audio itself
  // ends, which may be the last sample buffered: hold back a fade's length before both.
  const int64_t buffered = fifo_position_ + av_audio_fifo_size(fifo_.get());
  const int64_t limit = std::min(position, buffered) - fade_samples_;
  while (av_audio_fifo_size(fifo_.get()) >= frame_size_ && fifo_position_ + frame_size_ <= limit) {
    encode_frame(frame_size_, emit);
  }
}

// Fades the samples in the fifo out towards its end (the end of the audio).
void AudioEncoder::fade_tail() {
  const int size = av_audio_fifo_size(fifo_.get());
  if (fade_samples_ <= 0 || size <= 0) return;
  FramePtr tail = make_frame();
  tail->nb_samples = size;
  tail->format = encoder_->sample_fmt;
  av_channel_layout_copy(&tail->ch_layout, &encoder_->ch_layout);
  int err = av_frame_get_buffer(tail.get(), 0);
  if (err < 0) throw_av_error(path_, "cannot allocate audio for " + what_, err);
  av_audio_fifo_read(fifo_.get(), reinterpret_cast<void **>(tail->extended_data), size);

  const int64_t from = std::max<int64_t>(0, size - fade_samples_);
  const int64_t count = size - from;
  const int64_t first_left = size - from;  // samples to the end, counting the first faded one
  const int channels = encoder_->ch_layout.nb_channels;
  switch (encoder_->sample_fmt) {
    case AV_SAMPLE_FMT_FLTP:
      for (int c = 0; c < channels; ++c) {
        scale(reinterpret_cast<float *>(tail->extended_data[c]) + from, count, 1, first_left,
              fade_samples_);
      }
      break;
    case AV_SAMPLE_FMT_S16:
      for (int c = 0; c < channels; ++c) {
        scale(reinterpret_cast<int16_t *>(tail->extended_data[0]) + from * channels + c, count,
              channels, first_left, fade_samples_);
      }
      break;
    default:
      break;  // the encoders used here take one of the two
  }
  av_audio_fifo_write(fifo_.get(), reinterpret_cast<void **>(tail->extended_data), size);
}

void AudioEncoder::finish(int64_t end, const Emit &emit) {
  if (finished_) return;
  finished_ = true;
  if (swr_) resample(nullptr, 0);
  // Cut at the end: keep what plays before it.
  const int size = av_audio_fifo_size(fifo_.get());
  const int64_t keep = std::clamp<int64_t>(end - fifo_position_, 0, size);
  if (keep < size) {
    FramePtr kept = make_frame();
    if (keep > 0) {
      kept->nb_samples = static_cast<int>(keep);
      kept->format = encoder_->sample_fmt;
      av_channel_layout_copy(&kept->ch_layout, &encoder_->ch_layout);
      const int err = av_frame_get_buffer(kept.get(), 0);
      if (err < 0) throw_av_error(path_, "cannot allocate audio for " + what_, err);
      av_audio_fifo_read(fifo_.get(), reinterpret_cast<void **>(kept->extended_data),
                         static_cast<int>(keep));
    }
    av_audio_fifo_reset(fifo_.get());
    if (keep > 0) {
      av_audio_fifo_write(fifo_.get(), reinterpret_cast<void **>(kept->extended_data),
                          static_cast<int>(keep));
    }
  }
  fade_tail();
  while (av_audio_fifo_size(fifo_.get()) > 0) {
    encode_frame(std::min(frame_size_, av_audio_fifo_size(fifo_.get())), emit);
  }
  const int err = avcodec_send_frame(encoder_.get(), nullptr);
  if (err < 0 && err != AVERROR_EOF)
    throw_av_error(path_, "cannot flush the encoder of " + what_, err);
  receive_packets(emit);
}

}  // namespace amused::media::detail
