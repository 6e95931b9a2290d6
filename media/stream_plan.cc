#include "stream_plan.h"

#include <cstring>

namespace amused::media::detail {

namespace {

bool is(const AVOutputFormat *format, const char *name) {
  return std::strcmp(format->name, name) == 0;
}

// avformat_query_codec says yes, but FFmpeg 5.1's muxer refuses the stream when it writes
// the header ("flac in MP4 support is experimental", "opus only supported in MP4"), or writes
// it under a tag no player reads (Vorbis in MP4).
bool known_refusal(const AVOutputFormat *format, AVCodecID codec) {
  if (is(format, "mp4")) {
    return codec == AV_CODEC_ID_FLAC || codec == AV_CODEC_ID_VORBIS || codec == AV_CODEC_ID_TRUEHD;
  }
  if (is(format, "mov")) return codec == AV_CODEC_ID_FLAC || codec == AV_CODEC_ID_OPUS;
  return false;
}

}  // namespace

bool container_takes(const AVOutputFormat *format, const AVCodecParameters *par) {
  if (par->codec_id == AV_CODEC_ID_NONE) return false;
  if (par->codec_type == AVMEDIA_TYPE_ATTACHMENT) return is(format, "matroska");
  if (known_refusal(format, par->codec_id)) return false;
  return avformat_query_codec(format, par->codec_id, FF_COMPLIANCE_NORMAL) == 1;
}

AVCodecID audio_encoder_for(const AVOutputFormat *format) {
  return is(format, "mov") ? AV_CODEC_ID_PCM_S16LE : AV_CODEC_ID_AAC;
}

StreamPlan plan_stream(const AVOutputFormat *format, const AVStream *stream) {
  const AVCodecParameters *par = stream->codecpar;
  const std::string container = std::string("the ") + format->name + " container";
  StreamPlan plan;
  switch (par->codec_type) {
    case AVMEDIA_TYPE_AUDIO:
      if (container_takes(format, par)) {
        plan.action = StreamAction::kCopy;
      } else if (avcodec_find_decoder(par->codec_id) == nullptr) {
        plan.why = container + " cannot hold it and this FFmpeg cannot decode it";
      } else {
        plan.action = StreamAction::kEncode;
        plan.encoder = audio_encoder_for(format);
      }
      return plan;
    case AVMEDIA_TYPE_SUBTITLE:
    case AVMEDIA_TYPE_DATA:
    case AVMEDIA_TYPE_ATTACHMENT:
      if (container_takes(format, par)) {
        plan.action = StreamAction::kCopy;
      } else {
        plan.why = container + " cannot hold it";
      }
      return plan;
    case AVMEDIA_TYPE_VIDEO:
      plan.why = stream->disposition & AV_DISPOSITION_ATTACHED_PIC
                     ? "cover art is not kept"
                     : "only the first video stream is restyled";
      return plan;
    default:
      plan.why = "unknown kind of stream";
      return plan;
  }
}

}  // namespace amused::media::detail
