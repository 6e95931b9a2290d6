#include "video_writer.h"

#include <algorithm>
#include <cctype>
#include <exception>
#include <map>
#include <string>
#include <system_error>

#include "av_util.h"
#include "side_mux.h"

extern "C" {
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
}

namespace amused::media {

using detail::CodecContextPtr;
using detail::FramePtr;
using detail::OutputContextPtr;
using detail::PacketPtr;
using detail::SwsPtr;
using detail::throw_av_error;
using detail::throw_error;

const char *to_string(VideoCodec codec) {
  switch (codec) {
    case VideoCodec::kH264:
      return "h264";
    case VideoCodec::kProRes:
      return "prores";
    case VideoCodec::kMpeg4:
      return "mpeg4";
  }
  return "unknown";
}

std::optional<VideoCodec> parse_video_codec(std::string_view name) {
  std::string n(name);
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::tolower(c); });
  if (n == "h264" || n == "x264" || n == "libx264") return VideoCodec::kH264;
  if (n == "prores" || n == "prores_ks") return VideoCodec::kProRes;
  if (n == "mpeg4") return VideoCodec::kMpeg4;
  return std::nullopt;
}

namespace {

struct CodecSpec {
  const char *encoder;  // FFmpeg encoder name
  AVPixelFormat pix_fmt;
  bool even_width;   // chroma subsampled horizontally (4:2:0, 4:2:2)
  bool even_height;  // chroma subsampled vertically (4:2:0)
};

CodecSpec spec_of(VideoCodec codec) {
  switch (codec) {
    case VideoCodec::kH264:
      return {"libx264", AV_PIX_FMT_YUV420P, true, true};
    case VideoCodec::kProRes:
      // prores_ks accepts an odd width but garbles the last column's chroma.
      return {"prores_ks", AV_PIX_FMT_YUV422P10LE, true, false};
    case VideoCodec::kMpeg4:
      return {"mpeg4", AV_PIX_FMT_YUV420P, true, true};
  }
  return {"", AV_PIX_FMT_NONE, false, false};
}

std::string lower_extension(const std::filesystem::path &path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return ext;
}

// The muxer for an extension, and whether it can carry the codec. Kept as an explicit table
// (rather than trusting av_guess_format for any extension) so the supported set is the one
// we test.
const char *muxer_for(const std::filesystem::path &path, VideoCodec codec) {
  const std::string ext = lower_extension(path);
  if (ext == ".mp4") {
    if (codec == VideoCodec::kProRes) {
      throw_error(path, "ProRes cannot be stored in an .mp4 file; use .mov or .mkv");
    }
    return "mp4";
  }
  if (ext == ".mov") return "mov";
  if (ext == ".mkv") return "matroska";
  throw_error(path, "unsupported video file extension '" + ext + "'; use .mp4, .mov or .mkv");
}

}  // namespace

struct VideoWriter::Impl {
  std::filesystem::path path;     // the output's name, which errors name
  std::filesystem::path partial;  // where it is written until finish()
  int width = 0;
  int height = 0;
  OutputContextPtr format;
  CodecContextPtr encoder;
  AVStream *stream = nullptr;  // owned by `format`
  FramePtr frame;              // reused: the encoder copies or references it per call
  PacketPtr packet;
  SwsPtr sws;
  int sws_channels = 0;  // source channel count `sws` was built for
  AVRational rate{};     // frames per second
  AVRational user_tb{};  // write(frame, pts, duration)'s time base; {0, 0}: frame-rate timing
  int64_t frames = 0;
  int64_t last_pts = INT64_MIN;          // encoder ticks
  int64_t end = 0;                       // where the video ends, encoder ticks
  std::map<int64_t, int64_t> durations;  // pts -> duration of the frames inside the encoder
  std::unique_ptr<detail::SideMux> side;
  bool finished = false;

  void configure_encoder(const CodecSpec &spec, Rational rate, const VideoWriterOptions &options,
                         detail::Dictionary &codec_opts);
  void encode(const Image &image, int64_t pts, int64_t duration);
  void drain(bool flushing);
  void finish();
  void complete();
};

VideoWriter::VideoWriter() = default;

VideoWriter::VideoWriter(const std::filesystem::path &path, int width, int height,
                         Rational framerate, const VideoWriterOptions &options) {
  open(path, width, height, framerate, options);
}

VideoWriter::~VideoWriter() {
  if (!impl_ || impl_->finished) return;
  try {
    impl_->finish();
  } catch (const std::exception &e) {
    av_log(nullptr, AV_LOG_ERROR, "VideoWriter: %s\n", e.what());
  } catch (...) {
    av_log(nullptr, AV_LOG_ERROR, "VideoWriter: unknown error while finishing\n");
  }
}

VideoWriter::VideoWriter(VideoWriter &&) noexcept = default;

VideoWriter &VideoWriter::operator=(VideoWriter &&other) noexcept {
  if (this != &other) {
    VideoWriter old(std::move(*this));  // finishes the file this writer had open
    impl_ = std::move(other.impl_);
  }
  return *this;
}

bool VideoWriter::is_open() const { return impl_ && !impl_->finished; }

int64_t VideoWriter::frames_written() const { return impl_ ? impl_->frames : 0; }

double VideoWriter::seconds_written() const {
  return impl_ ? impl_->end * av_q2d(impl_->encoder->time_base) : 0.0;
}

const std::vector<SideStreamNote> &VideoWriter::side_stream_notes() const {
  static const std::vector<SideStreamNote> kNone;
  return impl_ && impl_->side ? impl_->side->notes() : kNone;
}

void VideoWriter::Impl::configure_encoder(const CodecSpec &spec, Rational rate,
                                          const VideoWriterOptions &options,
                                          detail::Dictionary &codec_opts) {
  AVCodecContext *c = encoder.get();
  c->width = width;
  c->height = height;
  c->pix_fmt = spec.pix_fmt;
  c->framerate = AVRational{rate.num, rate.den};
  // One tick per frame: PTS is the frame index, so durations are exact for any rate. Frames
  // that bring their own times keep the caller's time base.
  c->time_base = AVRational{rate.den, rate.num};
  if (options.time_base.valid()) {
    av_reduce(&c->time_base.num, &c->time_base.den, options.time_base.num, options.time_base.den,
              INT32_MAX);
    // MPEG-4 part 2 stores the time base denominator in 16 bits.
    if (options.codec == VideoCodec::kMpeg4 && c->time_base.den > 65535) {
      c->time_base = AVRational{1, 60000};
    }
  }
  c->sample_aspect_ratio = AVRational{1, 1};
  c->color_range = AVCOL_RANGE_MPEG;
  c->colorspace = AVCOL_SPC_BT709;
  c->color_primaries = AVCOL_PRI_BT709;
  c->color_trc = AVCOL_TRC_BT709;
  c->thread_count = 0;  // let the encoder pick
  if (format->oformat->flags & AVFMT_GLOBALHEADER) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;

  const int q = options.quality;
  switch (options.codec) {
    case VideoCodec::kH264:
      if (q != -1 && (q < 0 || q > 51)) throw_error(path, "H.264 CRF must be 0..51");
      if (options.bit_rate > 0) {
        c->bit_rate = options.bit_rate;
      } else {
        codec_opts.set("crf", std::to_string(q == -1 ? 18 : q));
      }
      codec_opts.set("preset", options.x264_preset);
      break;
    case VideoCodec::kMpeg4:
      if (q != -1 && (q < 1 || q > 31)) throw_error(path, "MPEG-4 quantiser must be 1..31");
      if (options.bit_rate > 0) {
        c->bit_rate = options.bit_rate;
      } else {
        c->flags |= AV_CODEC_FLAG_QSCALE;
        c->global_quality = FF_QP2LAMBDA * (q == -1 ? 3 : q);
        c->qmin = 1;  // the default floor of 2 would silently turn quality 1 into 2
      }
      // One keyframe per second (at least every 12 frames), like a typical delivery file.
      c->gop_size = std::max(12, static_cast<int>(rate.value() + 0.5));
      break;
    case VideoCodec::kProRes:
      if (q != -1 && (q < 0 || q > 3)) {
        throw_error(path, "ProRes profile must be 0 (proxy), 1 (LT), 2 (standard) or 3 (HQ)");
      }
      if (options.bit_rate > 0) {
        throw_error(path, "ProRes has no bit rate control; choose a profile with quality");
      }
      // Set on the private context: a "profile" dictionary entry would be taken by the
      // generic AVCodecContext.profile field and never reach prores_ks.
      av_opt_set_int(c->priv_data, "profile", q == -1 ? 3 : q, 0);
      c->bits_per_raw_sample = 10;
      break;
  }
}

void VideoWriter::open(const std::filesystem::path &path, int width, int height, Rational framerate,
                       const VideoWriterOptions &options) {
  if (impl_ && !impl_->finished) {
    throw_error(path, "VideoWriter is already writing " + impl_->path.string());
  }
  if (width <= 0 || height <= 0) {
    throw_error(path, "invalid video size " + std::to_string(width) + "x" + std::to_string(height));
  }
  if (!framerate.valid()) {
    throw_error(path, "invalid frame rate " + std::to_string(framerate.num) + "/" +
                          std::to_string(framerate.den));
  }
  const CodecSpec spec = spec_of(options.codec);
  if ((spec.even_width && width % 2 != 0) || (spec.even_height && height % 2 != 0)) {
    throw_error(path, std::string(to_string(options.codec)) + " in " +
                          av_get_pix_fmt_name(spec.pix_fmt) + " needs an even " +
                          (spec.even_height ? "width and height" : "width") + ", got " +
                          std::to_string(width) + "x" + std::to_string(height) +
                          " (resize to an even size first)");
  }
  AVRational rate{};
  av_reduce(&rate.num, &rate.den, framerate.num, framerate.den, INT32_MAX);
  if (options.codec == VideoCodec::kMpeg4 && rate.num > 65535) {
    // MPEG-4 part 2 stores the time base denominator in 16 bits.
    throw_error(path, "MPEG-4 part 2 cannot represent frame rate " + std::to_string(rate.num) +
                          "/" + std::to_string(rate.den));
  }
  const char *muxer = muxer_for(path, options.codec);

  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->width = width;
  impl->height = height;
  impl->rate = rate;
  if (options.time_base.valid())
    impl->user_tb = AVRational{options.time_base.num, options.time_base.den};

  AVFormatContext *fc = nullptr;
  // The muxer is named, so the temporary name's extension does not matter; the file name
  // given here is the one faststart reopens to move the index to the front.
  impl->partial = partial_path(path);
  int err = avformat_alloc_output_context2(&fc, nullptr, muxer, impl->partial.c_str());
  if (err < 0 || fc == nullptr) throw_av_error(path, "cannot create the muxer", err);
  impl->format.reset(fc);

  const AVCodec *codec = avcodec_find_encoder_by_name(spec.encoder);
  if (codec == nullptr) {
    throw_error(path, std::string("this FFmpeg build has no '") + spec.encoder + "' encoder");
  }
  impl->encoder.reset(avcodec_alloc_context3(codec));
  if (!impl->encoder) throw_error(path, "out of memory allocating the encoder");

  detail::Dictionary codec_opts;
  impl->configure_encoder(spec, Rational{rate.num, rate.den}, options, codec_opts);
  err = avcodec_open2(impl->encoder.get(), codec, codec_opts.get());
  if (err < 0)
    throw_av_error(path, std::string("cannot open the ") + spec.encoder + " encoder", err);
  if (codec_opts.count() > 0) {
    throw_error(path, std::string(spec.encoder) + " did not accept option(s) " + codec_opts.keys());
  }

  impl->stream = avformat_new_stream(fc, nullptr);
  if (impl->stream == nullptr) throw_error(path, "cannot add a video stream");
  err = avcodec_parameters_from_context(impl->stream->codecpar, impl->encoder.get());
  if (err < 0) throw_av_error(path, "cannot copy encoder parameters", err);
  // A hint only: the muxer may pick its own time base in avformat_write_header.
  impl->stream->time_base = impl->encoder->time_base;
  impl->stream->avg_frame_rate = rate;
  impl->stream->r_frame_rate = rate;
  if (!options.side_streams.empty()) {
    impl->side =
        std::make_unique<detail::SideMux>(detail::MuxTarget{fc, path}, options.side_streams);
  }

  err = avio_open(&fc->pb, impl->partial.c_str(), AVIO_FLAG_WRITE);
  if (err < 0) throw_av_error(path, "cannot open for writing", err);

  try {
    detail::Dictionary mux_opts;
    // Index at the front of MP4/MOV, so players can start before the whole file arrives.
    if (std::string(muxer) != "matroska") mux_opts.set("movflags", "+faststart");
    err = avformat_write_header(fc, mux_opts.get());
    if (err < 0) {
      throw_av_error(path,
                     impl->side ? "cannot write the container header with the side streams"
                                : "cannot write the container header",
                     err);
    }

    impl->frame = detail::make_frame();
    impl->frame->format = spec.pix_fmt;
    impl->frame->width = width;
    impl->frame->height = height;
    // Some encoders (prores_ks) write the colour description from the frame, not the
    // context; without these the decoder guesses BT.601 for small frames.
    impl->frame->color_range = impl->encoder->color_range;
    impl->frame->colorspace = impl->encoder->colorspace;
    impl->frame->color_primaries = impl->encoder->color_primaries;
    impl->frame->color_trc = impl->encoder->color_trc;
    err = av_frame_get_buffer(impl->frame.get(), 0);
    if (err < 0) throw_av_error(path, "cannot allocate a video frame", err);
    impl->packet = detail::make_packet();
  } catch (...) {
    // The file exists now but holds no video; do not leave it behind.
    impl->format.reset();
    std::error_code ec;
    std::filesystem::remove(impl->partial, ec);
    throw;
  }
  impl_ = std::move(impl);
}

void VideoWriter::write(const Image &image) {
  if (!impl_) throw Error("VideoWriter::write: no file is open");
  Impl &w = *impl_;
  if (w.user_tb.num == 0) {
    w.encode(image, w.frames, 1);
  } else {
    // One frame at the frame rate, after the last one.
    const int64_t one =
        std::max<int64_t>(1, av_rescale_q(1, av_inv_q(w.rate), w.encoder->time_base));
    w.encode(image, w.end, one);
  }
}

void VideoWriter::write(const Image &image, int64_t pts, int64_t duration) {
  if (!impl_) throw Error("VideoWriter::write: no file is open");
  Impl &w = *impl_;
  if (w.user_tb.num == 0) {
    throw_error(w.path, "frames with their own times need VideoWriterOptions::time_base");
  }
  const AVRational tb = w.encoder->time_base;
  w.encode(image, av_rescale_q(pts, w.user_tb, tb),
           std::max<int64_t>(1, av_rescale_q(duration, w.user_tb, tb)));
}

void VideoWriter::Impl::encode(const Image &image, int64_t pts, int64_t duration) {
  if (finished) throw_error(path, "write after finish()");
  if (image.width != width || image.height != height) {
    throw_error(path, "frame " + std::to_string(frames) + " is " + std::to_string(image.width) +
                          "x" + std::to_string(image.height) + ", the video is " +
                          std::to_string(width) + "x" + std::to_string(height));
  }
  if ((image.channels != 3 && image.channels != 1) ||
      image.pixels.size() != static_cast<size_t>(image.width) * image.height * image.channels) {
    throw_error(path, "frame " + std::to_string(frames) + " is not a packed RGB8 or gray8 image");
  }

  if (!sws || sws_channels != image.channels) {
    const AVPixelFormat src = image.channels == 3 ? AV_PIX_FMT_RGB24 : AV_PIX_FMT_GRAY8;
    // FULL_CHR_H_INP filters chroma before subsampling instead of point-sampling it, and
    // ACCURATE_RND avoids the fast paths' rounding bias.
    sws.reset(sws_getContext(
        width, height, src, width, height, static_cast<AVPixelFormat>(frame->format),
        SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INP, nullptr, nullptr, nullptr));
    if (!sws) throw_error(path, "swscale cannot convert frames to the encoder's format");
    // BT.709, limited range: matches the tags set on the encoder.
    const int *bt709 = sws_getCoefficients(SWS_CS_ITU709);
    sws_setColorspaceDetails(sws.get(), bt709, 1, bt709, 0, 0, 1 << 16, 1 << 16);
    sws_channels = image.channels;
  }

  // The encoder may still hold a reference to the previous frame's buffers.
  int err = av_frame_make_writable(frame.get());
  if (err < 0) throw_av_error(path, "cannot make the frame writable", err);
  const uint8_t *src[4] = {image.pixels.data(), nullptr, nullptr, nullptr};
  const int src_stride[4] = {image.width * image.channels, 0, 0, 0};
  sws_scale(sws.get(), src, src_stride, 0, height, frame->data, frame->linesize);

  // Encoders need rising times: a frame that does not rise is moved just after the last.
  if (pts <= last_pts) {
    duration = std::max<int64_t>(1, duration - (last_pts + 1 - pts));
    pts = last_pts + 1;
  }
  frame->pts = pts;
  // mpeg4's fixed-quantiser mode reads the quantiser from each frame, not the context.
  frame->quality = encoder->global_quality;
  err = avcodec_send_frame(encoder.get(), frame.get());
  if (err < 0) throw_av_error(path, "encoding frame " + std::to_string(frames), err);
  durations[pts] = duration;
  last_pts = pts;
  end = std::max(end, pts + duration);
  ++frames;
  drain(false);
  if (side) side->write_until(av_rescale_q(pts, encoder->time_base, detail::kMicroseconds));
}

void VideoWriter::Impl::drain(bool flushing) {
  for (;;) {
    int err = avcodec_receive_packet(encoder.get(), packet.get());
    if (err == AVERROR(EAGAIN) && !flushing) return;
    if (err == AVERROR_EOF) return;
    if (err < 0) throw_av_error(path, "encoder failed", err);
    // Every packet gets its frame's duration; without it the MP4 muxer gives the last frame
    // no duration and the file comes out one frame short.
    if (auto d = durations.find(packet->pts); d != durations.end()) {
      packet->duration = d->second;
      durations.erase(d);
    }
    if (packet->duration == 0) packet->duration = 1;
    av_packet_rescale_ts(packet.get(), encoder->time_base, stream->time_base);
    packet->stream_index = stream->index;
    err = av_interleaved_write_frame(format.get(), packet.get());  // unrefs the packet
    if (err < 0) throw_av_error(path, "cannot write a packet", err);
  }
}

void VideoWriter::Impl::finish() {
  finished = true;  // even if flushing fails, the writer is done: no retry, no double trailer
  try {
    complete();
  } catch (...) {
    // A container that could not be completed is no file to keep (a full disk, a write
    // error): the partial file goes, the error names the output.
    format.reset();
    std::error_code ec;
    std::filesystem::remove(partial, ec);
    throw;
  }
}

void VideoWriter::Impl::complete() {
  int err = avcodec_send_frame(encoder.get(), nullptr);
  if (err < 0 && err != AVERROR_EOF) throw_av_error(path, "cannot flush the encoder", err);
  drain(true);
  // A side stream that fails still leaves a playable file with everything written so far.
  std::exception_ptr side_error;
  try {
    if (side) side->finish(av_rescale_q(end, encoder->time_base, detail::kMicroseconds));
  } catch (...) {
    side_error = std::current_exception();
  }
  err = av_write_trailer(format.get());
  if (err < 0) throw_av_error(path, "cannot write the container trailer", err);
  err = avio_closep(&format->pb);
  if (err < 0) throw_av_error(path, "cannot close the file", err);
  std::error_code ec;
  std::filesystem::rename(partial, path, ec);
  if (ec) throw_error(path, "cannot rename " + partial.string() + " to it: " + ec.message());
  if (side_error) std::rethrow_exception(side_error);
}

std::filesystem::path VideoWriter::partial_path(const std::filesystem::path &output) {
  return output.parent_path() / ("." + output.filename().string() + ".part");
}

void VideoWriter::finish() {
  if (!impl_ || impl_->finished) return;
  impl_->finish();
}

}  // namespace amused::media
