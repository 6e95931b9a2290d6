// `amused stylize`: restyles every frame of a video (or one image) with a prompt, through
// one VideoSession (unchanged tokens keep their previous style). The engine decides the
// working size, scales in and out and keeps the pixels outside the mask: the same frames
// as amusedstylize gives. Every frame keeps the input's time, and the input's audio,
// subtitle and data streams go into the output cut to the same span (--start, --duration).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "amused.h"
#include "cli_error.h"
#include "interrupt.h"
#include "media/image_io.h"
#include "media/progress_bar.h"
#include "media/video_reader.h"
#include "media/video_writer.h"
#include "model_options.h"
#include "option_parser.h"
#include "outputs.h"
#include "video_options.h"

namespace amused::cli {

namespace {

namespace fs = std::filesystem;

struct StylizeCommand {
  ModelOptions model;
  StylizeParams stylize;
  ConsistencyOptions consistency;
  EncodeOptions encode;
  std::string input;
  std::string mask;
  std::string start, duration;
  bool no_audio = false;
  int max_frames = 0;
};

bool is_png(const std::string &path) {
  return path.size() >= 4 && path.compare(path.size() - 4, 4, ".png") == 0;
}

// For the progress bar: the frames the span holds, as far as the container tells.
int64_t expected_frames(const media::VideoReader &reader, const media::TimeSpan &span,
                        int max_frames) {
  if (max_frames > 0) return max_frames;
  const int64_t all = reader.frame_count().value_or(0);
  const double fps = reader.framerate().value();
  if (span.whole() || fps <= 0) return all;
  int64_t n = span.duration_us ? std::llround(*span.duration_us * 1e-6 * fps) : all;
  if (all > 0)
    n = std::min(n, std::max<int64_t>(0, all - std::llround(span.start_us * 1e-6 * fps)));
  return n;
}

void remove_output(const std::string &path) {
  std::error_code ec;
  fs::remove(path, ec);
}

// "; audio aac copied, subtitle subrip copied" for the streams kept beside the video.
std::string kept_streams(const std::vector<media::SideStreamNote> &notes) {
  std::string kept;
  for (const auto &note : notes) {
    if (note.action == media::SideStreamNote::Action::kDropped) continue;
    kept += (kept.empty() ? "; " : ", ") + note.type + " " + note.codec +
            (note.action == media::SideStreamNote::Action::kCopied ? " copied"
                                                                   : " encoded to " + note.detail);
  }
  return kept;
}

void stylize_image(StylizeCommand &o, VideoSession &session) {
  const Image out = session.stylize_next(media::read_image(o.input), o.stylize).image;
  if (is_png(o.encode.output)) {
    media::write_png(o.encode.output, out);
  } else {
    media::VideoWriter writer(o.encode.output, out.width, out.height, {1, 1},
                              o.encode.writer_options());
    writer.write(out);
    writer.finish();
  }
  std::fprintf(stderr, "wrote %s\n", o.encode.output.c_str());
}

// Every frame of the span restyled and written at its own time, the input's other streams
// beside it. A failure half way finishes the file with what was restyled (and says so).
int stylize_video(StylizeCommand &o, const media::TimeSpan &span, VideoSession &session) {
  media::VideoReader reader(o.input);
  if (!span.whole()) reader.select(span);
  media::Rational fps = reader.framerate();
  if (!fps.valid()) fps = {8, 1};
  media::VideoWriterOptions writer_options = o.encode.writer_options();
  writer_options.time_base = reader.time_base();
  if (!o.no_audio) {
    writer_options.side_streams.keep_from = o.input;
    writer_options.side_streams.span = span;
  }
  media::VideoWriter writer(o.encode.output, reader.width(), reader.height(), fps, writer_options);
  for (const auto &note : writer.side_stream_notes()) {
    if (note.action == media::SideStreamNote::Action::kDropped)
      std::fprintf(stderr, "amused stylize: %s\n", note.text().c_str());
  }
  if (!o.encode.frames_dir.empty()) fs::create_directories(o.encode.frames_dir);
  media::ProgressBarOptions bar_options;
  bar_options.unit = "frame";
  media::ProgressBar bar("frames", expected_frames(reader, span, o.max_frames), bar_options);
  Image frame;
  int k = 0;
  bool finishing = false;
  const InterruptWatch interrupt;
  RunControl control;
  control.cancel = interrupt.flag();
  try {
    while ((o.max_frames == 0 || k < o.max_frames) && !interrupt.interrupted() &&
           reader.read(frame)) {
      Image out;
      try {
        out = session.stylize_next(frame, o.stylize, control).image;
      } catch (const Cancelled &) {
        break;  // the frame in progress is dropped; the ones before make the file
      }
      writer.write(out, reader.frame_pts(), reader.frame_duration());
      if (!o.encode.frames_dir.empty()) {
        char name[32];
        std::snprintf(name, sizeof name, "%04d.png", k);
        media::write_png(fs::path(o.encode.frames_dir) / name, out);
      }
      ++k;
      bar.advance();
    }
    finishing = true;
    writer.finish();
  } catch (const Error &e) {
    bar.finish();
    std::string kept;
    if (!finishing) {
      try {
        writer.finish();
        if (k > 0)
          kept = "; " + o.encode.output + " holds the " + std::to_string(k) + " frames before";
      } catch (const Error &) {
      }
    }
    if (k == 0) remove_output(o.encode.output);
    throw Error(e.what() + kept);
  }
  bar.finish();
  if (interrupt.interrupted()) {
    if (k == 0) remove_output(o.encode.output);
    std::fprintf(stderr, "amused stylize: interrupted by %s: %s\n", interrupt.signal_name(),
                 k == 0 ? "before the first frame; no file written"
                        : (o.encode.output + " holds the " + std::to_string(k) +
                           " frames restyled (" + std::to_string(writer.seconds_written()) + " s)")
                              .c_str());
    return interrupt.exit_status();
  }
  if (k == 0) {
    remove_output(o.encode.output);
    if (!span.whole())
      throw Error(o.input + ": no video frames from --start " + (o.start.empty() ? "0" : o.start) +
                  " on (past the end?)");
    throw Error(o.input + ": no video frames could be decoded");
  }
  std::fprintf(stderr, "wrote %s: %d frames, %.3f s at %d/%d fps%s\n", o.encode.output.c_str(), k,
               writer.seconds_written(), fps.num, fps.den,
               kept_streams(writer.side_stream_notes()).c_str());
  return kExitOk;
}

}  // namespace

int run_stylize(int argc, char **argv) {
  StylizeCommand o;
  GenerateParams &g = o.stylize.generate;
  OptionParser p("amused stylize", "Restyle a video (or an image) with a text prompt.");
  p.add_string("input", 'i', "FILE", "video file (anything FFmpeg reads) or PNG (required)",
               &o.input);
  add_generate_options(p, g,
                       {"the style or content to apply (required)", "random seed (default: 0)",
                        "denoising steps for a full restyle (default: 12)"});
  p.add_double("strength", 0, "F",
               "fraction of the (changed) tokens re-masked and regenerated, 0..1 (default: 0.5)",
               &o.stylize.strength);
  p.add_double("change-threshold", 0, "F",
               "a token is regenerated when its source pixels change by more than this mean "
               "absolute difference, 0..1 of full scale (default: 0.04)",
               &o.stylize.change_threshold);
  p.add_string("mask", 0, "PNG", "restyle only where this mask is white (default: everywhere)",
               &o.mask);
  p.add_double("work-scale", 0, "F",
               "the model works at F times its native pixel count, at the input's aspect "
               "ratio, and the result is scaled back to the input's size (default: 1)",
               &o.stylize.work_scale);
  p.add_string("start", 0, "SECONDS",
               "restyle from this time of the input, e.g. 12.5; seeks there (default: 0)",
               &o.start);
  p.add_string("duration", 0, "SECONDS",
               "restyle this long from --start; the output's video and audio both last this "
               "long and start at 0 (default: to the end of the input)",
               &o.duration);
  p.add_int("max-frames", 0, "N", "stop after N frames; 0 = all (default: 0)", &o.max_frames);
  p.add_flag("no-audio", 0,
             "leave out the input's audio, subtitle and data streams (default: kept: copied "
             "when the output container takes their codec, else audio is encoded to AAC, or "
             "PCM in .mov, and the rest dropped with a note)",
             &o.no_audio);
  o.consistency.add_to(p);
  o.encode.add_to(p);
  o.model.add_to(p);
  p.set_epilogue(
      "Examples:\n  amused stylize --input clip.mp4 --prompt \"an oil painting\" --strength 0.6 "
      "--output painted.mov\n"
      "  amused stylize --input clip.mp4 --start 12.5 --duration 4 --prompt \"a watercolor\" "
      "--output part.mp4\n"
      "Frames keep the input's timestamps (variable frame rates too); its sound is kept in "
      "sync.\n");
  if (!p.parse(argc, argv)) return kExitOk;
  if (o.input.empty()) throw UsageError("--input is required");
  if (g.prompt.empty()) throw UsageError("--prompt is required");
  if (o.encode.output.empty()) throw UsageError("--output is required");
  if (!(o.stylize.strength >= 0 && o.stylize.strength <= 1))
    throw UsageError("--strength: must be between 0 and 1");
  if (!(o.stylize.change_threshold >= 0 && o.stylize.change_threshold <= 1))
    throw UsageError("--change-threshold: must be between 0 and 1");
  if (o.max_frames < 0) throw UsageError("--max-frames: must be >= 0");
  if (!(o.stylize.work_scale > 0 && o.stylize.work_scale <= 16))
    throw UsageError("--work-scale: must be in (0, 16]");
  o.stylize.consistency = o.consistency.params();
  check_output_folder(o.encode.output, "--output");
  const media::TimeSpan span = parse_span(o.start, o.duration);
  if (!fs::exists(o.input)) throw Error(o.input + ": no such file (--input)");

  auto model = o.model.load();
  if (!o.mask.empty()) o.stylize.mask = media::read_mask(o.mask);
  VideoSession session(model);
  if (is_png(o.input)) {
    if (!span.whole()) throw UsageError("--start/--duration: the input is a still image");
    stylize_image(o, session);
    return kExitOk;
  }
  return stylize_video(o, span, session);
}

}  // namespace amused::cli
