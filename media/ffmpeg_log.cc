#include "ffmpeg_log.h"

extern "C" {
#include <libavutil/log.h>
}

namespace amused::media {

void set_ffmpeg_log_level(FfmpegLogLevel level) {
  switch (level) {
    case FfmpegLogLevel::kQuiet:
      av_log_set_level(AV_LOG_QUIET);
      break;
    case FfmpegLogLevel::kError:
      av_log_set_level(AV_LOG_ERROR);
      break;
    case FfmpegLogLevel::kWarning:
      av_log_set_level(AV_LOG_WARNING);
      break;
    case FfmpegLogLevel::kInfo:
      av_log_set_level(AV_LOG_INFO);
      break;
    case FfmpegLogLevel::kDebug:
      av_log_set_level(AV_LOG_DEBUG);
      break;
  }
}

}  // namespace amused::media
