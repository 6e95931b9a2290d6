#include "av_util.h"

#include "amused.h"

namespace amused::media::detail {

std::string Dictionary::keys() const {
  std::string out;
  const AVDictionaryEntry *e = nullptr;
  while ((e = av_dict_get(dict_, "", e, AV_DICT_IGNORE_SUFFIX)) != nullptr) {
    if (!out.empty()) out += ", ";
    out += e->key;
  }
  return out;
}

std::string av_error_string(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  if (av_strerror(err, buf, sizeof buf) < 0) return "FFmpeg error " + std::to_string(err);
  return buf;
}

void throw_av_error(const std::filesystem::path &path, const std::string &what, int err) {
  throw Error(path.string() + ": " + what + ": " + av_error_string(err));
}

void throw_error(const std::filesystem::path &path, const std::string &what) {
  throw Error(path.string() + ": " + what);
}

FramePtr make_frame() {
  FramePtr f(av_frame_alloc());
  if (!f) throw Error("out of memory allocating an AVFrame");
  return f;
}

PacketPtr make_packet() {
  PacketPtr p(av_packet_alloc());
  if (!p) throw Error("out of memory allocating an AVPacket");
  return p;
}

int64_t timeline_origin(const AVFormatContext *format, const AVStream *stream) {
  const int64_t own = stream->start_time;
  if (format->start_time == AV_NOPTS_VALUE) return own != AV_NOPTS_VALUE ? own : 0;
  const int64_t t = av_rescale_q(format->start_time, AV_TIME_BASE_Q, stream->time_base);
  // The container's start time is the earliest stream's, rounded to microseconds.
  if (own != AV_NOPTS_VALUE && own - t <= 1 && t - own <= 1) return own;
  return t;
}

int64_t frame_packet_duration(const AVFrame *frame) {
#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(57, 30, 100)
  return frame->duration;
#else
  return frame->pkt_duration;
#endif
}

bool is_key_frame(const AVFrame *frame) {
#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(58, 29, 100)
  return (frame->flags & AV_FRAME_FLAG_KEY) != 0;
#else
  return frame->key_frame != 0;
#endif
}

std::string describe_stream(const AVStream *stream) {
  const char *type = av_get_media_type_string(stream->codecpar->codec_type);
  return "stream " + std::to_string(stream->index) + " (" + (type ? type : "unknown") + ", " +
         avcodec_get_name(stream->codecpar->codec_id) + ")";
}

}  // namespace amused::media::detail
