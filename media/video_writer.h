// Video files written through libavformat/libavcodec: RGB8 frames in, an encoded file out.
//
//   amused::media::VideoWriter out;
//   out.open("promo.mp4", 256, 256, {8, 1});          // H.264 (libx264), CRF 18
//   for (const amused::Image &f : frames) out.write(f);
//   out.finish();                                      // flush + trailer; errors surface here
//
// Containers are chosen by extension: .mp4 (H.264, MPEG-4 part 2), .mov and .mkv (all
// three codecs). Pixel formats: yuv420p for H.264 and MPEG-4 (what every player decodes),
// yuv422p10le for ProRes (prores_ks, as editors expect). Colour is converted with BT.709
// coefficients into limited range and tagged so in the stream.
//
// Time: by default frame i is shown at i / framerate. With `time_base` set, every frame
// brings its own time (write(frame, pts, duration)), so footage keeps its timing, variable
// frame rate included. Beside the video, `side_streams` adds the sound (and subtitles, data)
// of another file, or a soundtrack, in sync and cut to the video's length.
//
// Interruption: the file is written under a temporary name beside the output (".NAME.part")
// and renamed to its own name by finish(), once the container is complete. A process killed
// before that leaves no file with the final name; finish() called early (Ctrl-C) leaves a
// complete, playable file with the frames written so far.
//
// Sizes: chroma subsampling needs whole chroma samples, so H.264 and MPEG-4 (4:2:0) need an
// even width and height and ProRes (4:2:2) an even width; libx264 rejects odd sizes and
// prores_ks garbles an odd last column. Odd sizes are refused with an Error rather than
// padded: padding would silently change the frame size the caller asked for (resize first).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "amused.h"
#include "rational.h"
#include "side_streams.h"

namespace amused::media {

enum class VideoCodec {
  kH264,    // libx264, yuv420p
  kProRes,  // prores_ks, yuv422p10le
  kMpeg4,   // FFmpeg's mpeg4 (MPEG-4 part 2), yuv420p
};

// "h264", "prores", "mpeg4": the FFmpeg codec names, which VideoReader::codec_name reports.
const char *to_string(VideoCodec codec);
// Accepts the names above and the aliases "x264", "libx264", "prores_ks"; nullopt otherwise.
std::optional<VideoCodec> parse_video_codec(std::string_view name);

struct VideoWriterOptions {
  VideoCodec codec = VideoCodec::kH264;
  // Codec-specific quality; -1 picks the default.
  //   kH264:  x264 CRF, 0 (best) .. 51; default 18 (visually transparent).
  //   kMpeg4: fixed quantiser, 1 (best) .. 31; default 3.
  //   kProRes: profile 0 proxy, 1 LT, 2 standard, 3 HQ; default 3.
  int quality = -1;
  // Average bit rate in bit/s for kH264 and kMpeg4 instead of `quality`; 0 = use quality.
  // ProRes has no rate control (its rate follows the profile), so a bit rate is an error.
  int64_t bit_rate = 0;
  // x264 speed/size trade-off ("ultrafast" .. "placebo").
  std::string x264_preset = "medium";
  // The time base of write(frame, pts, duration), e.g. VideoReader::time_base(); {0, 1}:
  // frames are timed by the frame rate. MPEG-4 part 2 keeps times to 1/60000 s when the time
  // base is finer than it can store.
  Rational time_base{0, 1};
  // Streams written beside the video (see side_streams.h).
  SideStreams side_streams;
};

class VideoWriter {
 public:
  VideoWriter();
  // Same as open().
  VideoWriter(const std::filesystem::path &path, int width, int height, Rational framerate,
              const VideoWriterOptions &options = {});
  // Finishes the file if finish() was not called; errors are logged through av_log, never
  // thrown (call finish() yourself to see them).
  ~VideoWriter();
  VideoWriter(VideoWriter &&) noexcept;
  VideoWriter &operator=(VideoWriter &&) noexcept;

  // Creates the file and the encoder. `framerate` is frames per second as num/den (e.g.
  // 30000/1001). Throws amused::Error naming the path for: an unknown extension, a codec the
  // container cannot hold, an odd size the pixel format cannot represent, a missing encoder,
  // an unwritable path. Nothing is left on disk after a failed open.
  void open(const std::filesystem::path &path, int width, int height, Rational framerate,
            const VideoWriterOptions &options = {});

  // Encodes one frame (3-channel RGB, or 1-channel gray) of the size given to open().
  // Frame i is shown at i / framerate seconds.
  void write(const Image &frame);
  // The same, shown from `pts` for `duration` ticks of options.time_base (which must be
  // set). Times should rise; one that does not is moved just after the previous frame.
  void write(const Image &frame, int64_t pts, int64_t duration);

  // Flushes the encoder, writes the side streams up to the video's end and the trailer, and
  // gives the file its name; the file is complete afterwards. A second call does nothing.
  // Should writing fail half way, call finish() (or let the destructor do it): the file
  // keeps what was written. When finishing itself fails (a full disk), the partial file is
  // removed and the Error names the output.
  void finish();

  bool is_open() const;
  int64_t frames_written() const;
  // Where the video ends (the last frame's end), in seconds.
  double seconds_written() const;
  // The temporary name the file is written under until finish() renames it.
  static std::filesystem::path partial_path(const std::filesystem::path &output);
  // What became of every stream options.side_streams named, known after open().
  const std::vector<SideStreamNote> &side_stream_notes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace amused::media
