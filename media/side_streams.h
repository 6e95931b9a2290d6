// The streams a VideoWriter puts into its file beside the video it encodes: the sound (and
// subtitles, data) of footage being restyled, or a soundtrack laid under a generated video.
//
//   amused::media::VideoWriterOptions options;
//   options.side_streams.keep_from = "clip.mp4";        // its audio, subtitles, data
//   options.side_streams.span = span;                    // the part being restyled
//   amused::media::VideoWriter out("styled.mp4", w, h, rate, options);
//   for (const auto &note : out.side_stream_notes()) ...  // what became of each stream
#pragma once

#include <filesystem>
#include <string>

#include "time_span.h"

namespace amused::media {

struct SideStreams {
  // Every audio, subtitle and data stream of this file (empty: none), cut to `span` of its
  // timeline and placed so that span.start is 0, as the video is. A stream the output
  // container takes is copied packet for packet (audio packets that straddle the span's
  // start or end come whole: within one audio frame); other audio is decoded, cut to the
  // sample and encoded (AAC in .mp4 and .mkv, PCM s16le in .mov); other subtitle and data
  // streams, further video streams and attachments the container cannot hold are dropped,
  // each with a note.
  std::filesystem::path keep_from;
  TimeSpan span;

  // A soundtrack (empty: none): the first audio stream of this file from its start, encoded
  // (AAC in .mp4 and .mkv, PCM s16le in .mov), cut at the end of the video and faded out
  // over its last `fade_out_seconds`.
  std::filesystem::path soundtrack;
  double fade_out_seconds = 0.5;

  bool empty() const { return keep_from.empty() && soundtrack.empty(); }
};

// What became of one stream of a SideStreams file.
struct SideStreamNote {
  enum class Action { kCopied, kEncoded, kDropped };
  std::filesystem::path file;
  int index = 0;
  std::string type;   // "audio", "subtitle", "data", "video", "attachment"
  std::string codec;  // FFmpeg's name of the input's codec, e.g. "aac", "subrip"
  Action action = Action::kDropped;
  std::string detail;  // kEncoded: the codec written; kDropped: why

  // "clip.mkv: stream 2 (subtitle, subrip) dropped: the mp4 container cannot hold it"
  std::string text() const {
    std::string s =
        file.string() + ": stream " + std::to_string(index) + " (" + type + ", " + codec + ")";
    switch (action) {
      case Action::kCopied:
        return s + " copied";
      case Action::kEncoded:
        return s + " encoded to " + detail;
      case Action::kDropped:
        return s + " dropped: " + detail;
    }
    return s;
  }
};

}  // namespace amused::media
