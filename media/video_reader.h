// Video (and still image) files decoded through libavformat/libavcodec into RGB8 frames.
//
//   amused::media::VideoReader in("clip.mov");
//   amused::Image frame;
//   while (in.read(frame)) { ... }   // frames in presentation order, until the end
//
// Any file FFmpeg can demux and decode works; the first video stream is used (cover-art
// pictures attached to audio files are skipped). Every frame keeps its own time (pts(),
// duration()), so variable-frame-rate footage can be written back with the same timing; a
// TimeSpan given to select() restricts reading to a part of the file, seeking to it. YUV is
// converted with the matrix and range the stream is tagged with; untagged streams get BT.601 below
// 720 lines and BT.709 from 720 up, as players guess.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "amused.h"
#include "rational.h"
#include "time_span.h"

namespace amused::media {

class VideoReader {
 public:
  VideoReader();
  // Same as open().
  explicit VideoReader(const std::filesystem::path &path);
  ~VideoReader();
  VideoReader(VideoReader &&) noexcept;
  VideoReader &operator=(VideoReader &&) noexcept;

  // Opens the file and its decoder. Throws amused::Error naming the path and FFmpeg's reason
  // (missing file, unknown format, no video stream, no decoder).
  void open(const std::filesystem::path &path);

  // Decodes the next frame into `frame` as 3-channel RGB8 and returns true; returns false at
  // the end of the stream. Packets the decoder rejects as corrupt are skipped (as ffmpeg
  // does); other errors throw amused::Error.
  bool read(Image &frame);

  int width() const;
  int height() const;
  // Frames per second; {0, 1} when the container does not say and FFmpeg cannot guess.
  Rational framerate() const;
  // FFmpeg's codec name, e.g. "h264", "prores", "mpeg4", "png".
  std::string codec_name() const;
  // Stream duration in seconds, falling back to the container's; nullopt if neither is known.
  std::optional<double> duration() const;
  // Frame count from the container index (MP4/MOV have one, Matroska does not).
  std::optional<int64_t> frame_count() const;
  // Presentation time, in seconds from the start of the stream, of the frame read last.
  double timestamp() const;
  // Frames returned by read() so far.
  int64_t frames_read() const;

  // Restricts reading to `span` of the file's timeline (from the container's start, as
  // players count). The next read() returns the frame shown at span.start: the reader seeks to
  // the keyframe before it when the container allows (else, or when the seek lands after it,
  // it decodes from the start) and decodes and discards the frames before. read() returns
  // false once a frame starts at or after the span's end. Call before the first read().
  void select(const TimeSpan &span);
  // The time base of frame_pts() and frame_duration(): the video stream's own (e.g. 1/90000).
  Rational time_base() const;
  // When the frame read last is shown, counted from the start of the span (or of the file):
  // from frame_pts() for frame_duration() ticks of time_base(). A frame that began before the span
  // starts at 0; the last one is cut at the span's end. The duration is the distance to the next
  // frame, so variable frame rates survive; the file's last frame takes its packet duration,
  // else one frame at the stream's frame rate.
  int64_t frame_pts() const;
  int64_t frame_duration() const;
  // Frames decoded so far, including those discarded before the span: a seek keeps this
  // small.
  int64_t frames_decoded() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  const Impl &checked() const;
};

}  // namespace amused::media
