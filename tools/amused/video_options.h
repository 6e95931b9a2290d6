// The flags `amused video` and `amused stylize` share: video consistency modes, output
// codec and frame rate, and their parsing.
#pragma once

#include <string>

#include "amused.h"
#include "cli_error.h"
#include "media/rational.h"
#include "media/time_span.h"
#include "media/video_writer.h"
#include "option_parser.h"

namespace amused::cli {

struct ConsistencyOptions {
  std::string cross_frame_attention = "first";
  bool no_reuse_tokens = false;
  int remask_boundary = 1;

  void add_to(OptionParser &parser);
  ConsistencyParams params() const;  // throws UsageError naming the flag
};

struct EncodeOptions {
  std::string codec;  // empty: from the output extension (.mov: prores, else h264)
  std::string output;
  std::string frames_dir;  // also write every frame as PNG here

  void add_to(OptionParser &parser);
  media::VideoWriterOptions writer_options() const;  // throws UsageError naming the flag
};

// An engine name parser's Error as a UsageError naming `flag`.
template <typename Parse>
auto parse_flag(const char *flag, const std::string &value, Parse parse) -> decltype(parse(value)) {
  try {
    return parse(value);
  } catch (const Error &e) {
    throw UsageError(std::string(flag) + ": " + e.what());
  }
}

// --start and --duration (decimal seconds; empty: not given) as a span of the input's
// timeline. Throws UsageError naming the flag.
media::TimeSpan parse_span(const std::string &start, const std::string &duration);

}  // namespace amused::cli
