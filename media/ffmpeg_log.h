// FFmpeg's own log output (libx264's statistics, muxer notes, decoder warnings) goes to
// stderr at "info" level unless told otherwise. The level is process-wide, so only the
// program's main() (the CLI, a test) should set it — never a library or an element.
#pragma once

namespace amused::media {

enum class FfmpegLogLevel { kQuiet, kError, kWarning, kInfo, kDebug };

void set_ffmpeg_log_level(FfmpegLogLevel level);

}  // namespace amused::media
