// Internal to media/: what to do with a stream of an input file when it goes into an output
// container beside the restyled video: copy it as it is, encode it, or drop it (and why).
#pragma once

#include <string>

#include "av_util.h"

namespace amused::media::detail {

enum class StreamAction { kCopy, kEncode, kDrop };

struct StreamPlan {
  StreamAction action = StreamAction::kDrop;
  AVCodecID encoder = AV_CODEC_ID_NONE;  // kEncode: the codec to write
  std::string why;                       // kDrop: the reason, for the note
};

// Whether `format` holds a stream of `par`'s codec copied packet for packet: what the muxer
// declares (avformat_query_codec), less the codecs FFmpeg's muxer refuses at its header or
// writes where players cannot read them.
bool container_takes(const AVOutputFormat *format, const AVCodecParameters *par);

// The audio codec written when a stream must be encoded: AAC in MP4 and Matroska, PCM s16le
// in QuickTime (what editors take beside ProRes).
AVCodecID audio_encoder_for(const AVOutputFormat *format);

// The plan for a stream of an input file other than the video being restyled (which the
// caller skips): audio is copied or else encoded, subtitles, data and attachments copied or
// else dropped, other video streams dropped.
StreamPlan plan_stream(const AVOutputFormat *format, const AVStream *stream);

}  // namespace amused::media::detail
