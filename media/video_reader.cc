#include "video_reader.h"

#include <algorithm>

#include "av_util.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

namespace amused::media {

using detail::CodecContextPtr;
using detail::FramePtr;
using detail::InputContextPtr;
using detail::PacketPtr;
using detail::SwsPtr;
using detail::throw_av_error;
using detail::throw_error;

namespace {

// The yuvj* formats are deprecated spellings of "yuv* in full range"; swscale warns on them.
AVPixelFormat normalize_format(AVPixelFormat fmt, bool *full_range) {
  switch (fmt) {
    case AV_PIX_FMT_YUVJ420P:
      *full_range = true;
      return AV_PIX_FMT_YUV420P;
    case AV_PIX_FMT_YUVJ422P:
      *full_range = true;
      return AV_PIX_FMT_YUV422P;
    case AV_PIX_FMT_YUVJ444P:
      *full_range = true;
      return AV_PIX_FMT_YUV444P;
    case AV_PIX_FMT_YUVJ440P:
      *full_range = true;
      return AV_PIX_FMT_YUV440P;
    default:
      return fmt;
  }
}

}  // namespace

struct VideoReader::Impl {
  std::filesystem::path path;
  InputContextPtr format;
  CodecContextPtr decoder;
  AVStream *stream = nullptr;  // owned by `format`
  PacketPtr packet;
  FramePtr frame;  // the frame read() returns
  FramePtr ahead;  // the one after it, decoded early: its time ends `frame`
  bool have_ahead = false;
  int64_t ahead_ts = 0;
  SwsPtr sws;
  // What `sws` was built for; rebuilt when a frame differs (mid-stream size changes).
  int sws_w = 0, sws_h = 0;
  AVPixelFormat sws_fmt = AV_PIX_FMT_NONE;
  AVColorSpace sws_space = AVCOL_SPC_UNSPECIFIED;
  bool sws_full = false;
  bool demux_done = false;  // all packets sent, decoder flushed
  bool decode_done = false;
  bool ended = false;  // past the last frame of the file or the span
  double last_time = 0.0;
  int64_t frames = 0;
  int64_t decoded = 0;

  // The timeline, in ticks of the stream's time base: `origin` is where the span (or the
  // file) starts, `span_end` the span's length.
  int64_t origin = 0;
  std::optional<int64_t> span_end;
  int64_t default_duration = 1;  // one frame at the stream's frame rate
  int64_t previous_ts = AV_NOPTS_VALUE;
  bool check_seek = false;  // the next frame tells whether the seek landed before the span
  int64_t last_pts = 0, last_duration = 0;

  void open_input();
  bool receive(AVFrame *into);  // one decoded frame; false at the end
  int64_t time_of(const AVFrame *f);
  void convert(const AVFrame *f, Image &out);
};

VideoReader::VideoReader() = default;
VideoReader::VideoReader(const std::filesystem::path &path) { open(path); }
VideoReader::~VideoReader() = default;
VideoReader::VideoReader(VideoReader &&) noexcept = default;
VideoReader &VideoReader::operator=(VideoReader &&) noexcept = default;

void VideoReader::open(const std::filesystem::path &path) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->open_input();
  impl->packet = detail::make_packet();
  impl->frame = detail::make_frame();
  impl->ahead = detail::make_frame();
  impl->origin = detail::timeline_origin(impl->format.get(), impl->stream);
  const AVRational rate = av_guess_frame_rate(impl->format.get(), impl->stream, nullptr);
  if (rate.num > 0 && rate.den > 0) {
    impl->default_duration =
        std::max<int64_t>(1, av_rescale_q(1, av_inv_q(rate), impl->stream->time_base));
  }
  impl_ = std::move(impl);
}

// Opens (or reopens, to decode from the start again) the demuxer and the decoder.
void VideoReader::Impl::open_input() {
  decoder.reset();
  stream = nullptr;
  format.reset();
  demux_done = decode_done = have_ahead = false;
  previous_ts = AV_NOPTS_VALUE;

  AVFormatContext *fc = nullptr;
  int err = avformat_open_input(&fc, path.c_str(), nullptr, nullptr);
  if (err < 0) throw_av_error(path, "cannot open", err);  // fc is freed on failure
  format.reset(fc);
  err = avformat_find_stream_info(fc, nullptr);
  if (err < 0) throw_av_error(path, "cannot read stream information", err);

  for (unsigned i = 0; i < fc->nb_streams; ++i) {
    AVStream *st = fc->streams[i];
    if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
        !(st->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
      stream = st;
      break;
    }
  }
  if (stream == nullptr) throw_error(path, "no video stream");
  // Demux only what we decode.
  for (unsigned i = 0; i < fc->nb_streams; ++i) {
    if (fc->streams[i] != stream) fc->streams[i]->discard = AVDISCARD_ALL;
  }

  const AVCodecParameters *par = stream->codecpar;
  // find_stream_info succeeds even when it could not decode a single frame (a text file
  // named .png opens as an image sequence); a sizeless stream is what that looks like.
  if (par->width <= 0 || par->height <= 0) {
    throw_error(path, std::string("cannot decode the ") + avcodec_get_name(par->codec_id) +
                          " stream (no frame size found; corrupt or not a video file?)");
  }
  const AVCodec *codec = avcodec_find_decoder(par->codec_id);
  if (codec == nullptr) {
    throw_error(path,
                std::string("no decoder for codec '") + avcodec_get_name(par->codec_id) + "'");
  }
  decoder.reset(avcodec_alloc_context3(codec));
  if (!decoder) throw_error(path, "out of memory allocating the decoder");
  err = avcodec_parameters_to_context(decoder.get(), par);
  if (err < 0) throw_av_error(path, "cannot configure the decoder", err);
  decoder->pkt_timebase = stream->time_base;
  decoder->thread_count = 0;
  err = avcodec_open2(decoder.get(), codec, nullptr);
  if (err < 0) {
    throw_av_error(path, std::string("cannot open the ") + codec->name + " decoder", err);
  }
}

const VideoReader::Impl &VideoReader::checked() const {
  if (!impl_) throw Error("VideoReader: no file is open");
  return *impl_;
}

bool VideoReader::Impl::receive(AVFrame *into) {
  while (!decode_done) {
    int err = avcodec_receive_frame(decoder.get(), into);
    if (err >= 0) {
      ++decoded;
      return true;
    }
    if (err == AVERROR_EOF) {
      decode_done = true;
      break;
    }
    if (err != AVERROR(EAGAIN)) throw_av_error(path, "decoding failed", err);

    // The decoder wants input.
    if (demux_done) {
      decode_done = true;  // flushed and still EAGAIN: nothing more will come
      break;
    }
    err = av_read_frame(format.get(), packet.get());
    if (err == AVERROR_EOF) {
      demux_done = true;
      err = avcodec_send_packet(decoder.get(), nullptr);  // enter draining mode
      if (err < 0 && err != AVERROR_EOF) throw_av_error(path, "cannot flush the decoder", err);
      continue;
    }
    if (err < 0) throw_av_error(path, "cannot read a packet", err);
    if (packet->stream_index != stream->index) {
      av_packet_unref(packet.get());
      continue;
    }
    err = avcodec_send_packet(decoder.get(), packet.get());
    av_packet_unref(packet.get());
    // A damaged packet costs a frame, not the whole file.
    if (err == AVERROR_INVALIDDATA) continue;
    if (err < 0 && err != AVERROR(EAGAIN)) throw_av_error(path, "decoding failed", err);
  }
  return false;
}

// The frame's presentation time in stream ticks; a frame without one follows the previous.
int64_t VideoReader::Impl::time_of(const AVFrame *f) {
  int64_t ts = f->best_effort_timestamp;
  if (ts == AV_NOPTS_VALUE) ts = f->pts;
  if (ts == AV_NOPTS_VALUE) {
    ts = previous_ts == AV_NOPTS_VALUE ? origin : previous_ts + default_duration;
  }
  previous_ts = ts;
  return ts;
}

void VideoReader::Impl::convert(const AVFrame *frame, Image &out) {
  bool full_range = frame->color_range == AVCOL_RANGE_JPEG;
  const AVPixelFormat fmt =
      normalize_format(static_cast<AVPixelFormat>(frame->format), &full_range);
  AVColorSpace space = frame->colorspace;
  if (space == AVCOL_SPC_UNSPECIFIED || space == AVCOL_SPC_RESERVED) {
    space = frame->height >= 720 ? AVCOL_SPC_BT709 : AVCOL_SPC_SMPTE170M;
  }
  if (!sws || sws_w != frame->width || sws_h != frame->height || sws_fmt != fmt ||
      sws_space != space || sws_full != full_range) {
    sws.reset(sws_getContext(frame->width, frame->height, fmt, frame->width, frame->height,
                             AV_PIX_FMT_RGB24, SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT,
                             nullptr, nullptr, nullptr));
    if (!sws) {
      throw_error(path, std::string("swscale cannot convert ") +
                            (av_get_pix_fmt_name(fmt) ? av_get_pix_fmt_name(fmt) : "?") +
                            " to RGB");
    }
    // SWS_CS_* values equal the AVColorSpace values for the matrices swscale knows; it falls
    // back to BT.601 for the others. Ignored for RGB sources.
    const int *coeffs = sws_getCoefficients(space);
    sws_setColorspaceDetails(sws.get(), coeffs, full_range ? 1 : 0,
                             sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16, 1 << 16);
    sws_w = frame->width;
    sws_h = frame->height;
    sws_fmt = fmt;
    sws_space = space;
    sws_full = full_range;
  }

  out.width = frame->width;
  out.height = frame->height;
  out.channels = 3;
  const int stride = out.width * 3;
  // A spare row: swscale's SIMD writers may run a few bytes past the end of a row.
  out.pixels.resize(static_cast<size_t>(stride) * (out.height + 1));
  uint8_t *dst[4] = {out.pixels.data(), nullptr, nullptr, nullptr};
  const int dst_stride[4] = {stride, 0, 0, 0};
  sws_scale(sws.get(), frame->data, frame->linesize, 0, frame->height, dst, dst_stride);
  out.pixels.resize(static_cast<size_t>(stride) * out.height);
}

bool VideoReader::read(Image &out) {
  if (!impl_) throw Error("VideoReader::read: no file is open");
  Impl &r = *impl_;
  while (!r.ended) {
    int64_t ts = 0;
    if (r.have_ahead) {
      std::swap(r.frame, r.ahead);
      r.have_ahead = false;
      ts = r.ahead_ts;
    } else if (r.receive(r.frame.get())) {
      ts = r.time_of(r.frame.get());
    } else {
      r.ended = true;
      break;
    }
    if (r.check_seek) {
      r.check_seek = false;
      // The seek must land on a keyframe at or before the span's start; some demuxers
      // (MPEG-PS, Ogg) land near it instead. Then decode from the start.
      if (ts > r.origin || !detail::is_key_frame(r.frame.get())) {
        av_frame_unref(r.frame.get());
        r.open_input();
        continue;
      }
    }
    r.have_ahead = r.receive(r.ahead.get());
    int64_t duration = 0;
    if (r.have_ahead) {
      r.ahead_ts = r.time_of(r.ahead.get());
      duration = r.ahead_ts - ts;
    } else {
      duration = detail::frame_packet_duration(r.frame.get());
    }
    if (duration <= 0) duration = r.default_duration;

    Placed placed;
    const Placement where = place(ts - r.origin, duration, r.span_end, &placed);
    if (where != Placement::kInside) {
      av_frame_unref(r.frame.get());
      if (where == Placement::kAfter) r.ended = true;
      continue;
    }
    const int64_t start = r.stream->start_time != AV_NOPTS_VALUE ? r.stream->start_time : 0;
    r.last_time = (ts - start) * av_q2d(r.stream->time_base);
    r.last_pts = placed.start;
    r.last_duration = placed.length;
    r.convert(r.frame.get(), out);
    av_frame_unref(r.frame.get());
    ++r.frames;
    return true;
  }
  return false;
}

void VideoReader::select(const TimeSpan &span) {
  if (!impl_) throw Error("VideoReader::select: no file is open");
  Impl &r = *impl_;
  if (r.decoded > 0) throw_error(r.path, "select() must come before the first read()");
  if (span.start_us < 0 || (span.duration_us && *span.duration_us <= 0)) {
    throw_error(r.path, "invalid time span");
  }
  const AVRational tb = r.stream->time_base;
  const AVRational us{1, 1000000};
  r.origin =
      detail::timeline_origin(r.format.get(), r.stream) + av_rescale_q(span.start_us, us, tb);
  r.span_end.reset();
  if (span.duration_us) r.span_end = std::max<int64_t>(1, av_rescale_q(*span.duration_us, us, tb));
  if (span.start_us == 0) return;
  // The keyframe at or before the start; containers that cannot seek decode from the start.
  const int err =
      avformat_seek_file(r.format.get(), r.stream->index, INT64_MIN, r.origin, r.origin, 0);
  if (err >= 0) {
    avcodec_flush_buffers(r.decoder.get());
    r.check_seek = true;
  } else {
    r.open_input();
  }
}

Rational VideoReader::time_base() const {
  const AVRational tb = checked().stream->time_base;
  return {tb.num, tb.den};
}

int64_t VideoReader::frame_pts() const { return checked().last_pts; }

int64_t VideoReader::frame_duration() const { return checked().last_duration; }

int64_t VideoReader::frames_decoded() const { return impl_ ? impl_->decoded : 0; }

int VideoReader::width() const { return checked().stream->codecpar->width; }

int VideoReader::height() const { return checked().stream->codecpar->height; }

Rational VideoReader::framerate() const {
  const Impl &r = checked();
  const AVRational q = av_guess_frame_rate(r.format.get(), r.stream, nullptr);
  if (q.num <= 0 || q.den <= 0) return {0, 1};
  return {q.num, q.den};
}

std::string VideoReader::codec_name() const {
  return avcodec_get_name(checked().stream->codecpar->codec_id);
}

std::optional<double> VideoReader::duration() const {
  const Impl &r = checked();
  if (r.stream->duration != AV_NOPTS_VALUE && r.stream->duration > 0) {
    return r.stream->duration * av_q2d(r.stream->time_base);
  }
  if (r.format->duration != AV_NOPTS_VALUE && r.format->duration > 0) {
    return static_cast<double>(r.format->duration) / AV_TIME_BASE;
  }
  return std::nullopt;
}

std::optional<int64_t> VideoReader::frame_count() const {
  const Impl &r = checked();
  if (r.stream->nb_frames > 0) return r.stream->nb_frames;
  return std::nullopt;
}

double VideoReader::timestamp() const { return checked().last_time; }

int64_t VideoReader::frames_read() const { return impl_ ? impl_->frames : 0; }

}  // namespace amused::media
