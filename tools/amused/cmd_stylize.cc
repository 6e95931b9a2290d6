// `amused stylize`: restyles every frame of a video (or one image) with a prompt, through
// one VideoSession (unchanged tokens keep their previous style). The engine decides the
// working size, scales in and out and keeps the pixels outside the mask: the same frames
// as amusedstylize gives.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>

#include "amused.h"
#include "cli_error.h"
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
  int max_frames = 0;
};

bool is_png(const std::string &path) {
  return path.size() >= 4 && path.compare(path.size() - 4, 4, ".png") == 0;
}

}  // namespace

int run_stylize(int argc, char **argv) {
  StylizeCommand o;
  GenerateParams &g = o.stylize.generate;
  OptionParser p("amused stylize", "Restyle a video (or an image) with a text prompt.");
  p.add_string("input", 'i', "FILE", "video file (anything FFmpeg reads) or PNG (required)",
               &o.input);
  p.add_string("prompt", 'p', "TEXT", "the style or content to apply (required)", &g.prompt);
  p.add_string("negative-prompt", 'n', "TEXT", "what to steer away from (default: empty)",
               &g.negative_prompt);
  p.add_uint64("seed", 0, "N", "random seed (default: 0)", &g.seed);
  p.add_int("steps", 's', "N", "denoising steps for a full restyle (default: 12)", &g.steps);
  p.add_double("guidance-scale", 'g', "F",
               "classifier-free guidance, on when > 1 (default: the model's: 1.75 for the "
               "default model, 10 for amused-256/512)",
               &g.guidance_scale);
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
  p.add_int("max-frames", 0, "N", "stop after N frames; 0 = all (default: 0)", &o.max_frames);
  o.consistency.add_to(p);
  o.encode.add_to(p);
  o.model.add_to(p);
  p.set_epilogue(
      "Example:\n  amused stylize --input clip.mp4 --prompt \"an oil painting\" --strength 0.6 "
      "--output painted.mov\n");
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
  if (!fs::exists(o.input)) throw Error(o.input + ": no such file (--input)");

  auto model = o.model.load();
  if (!o.mask.empty()) o.stylize.mask = media::read_mask(o.mask);
  auto restyle = [&](VideoSession &session, const Image &frame) {
    return session.stylize_next(frame, o.stylize).image;
  };

  VideoSession session(model);
  if (is_png(o.input)) {
    Image frame = media::read_image(o.input);
    Image out = restyle(session, frame);
    if (is_png(o.encode.output)) {
      media::write_png(o.encode.output, out);
    } else {
      media::VideoWriter writer(o.encode.output, out.width, out.height, {1, 1},
                                o.encode.writer_options());
      writer.write(out);
      writer.finish();
    }
    std::fprintf(stderr, "wrote %s\n", o.encode.output.c_str());
    return kExitOk;
  }

  media::VideoReader reader(o.input);
  media::Rational fps = reader.framerate();
  if (!fps.valid()) fps = {8, 1};
  const int64_t total = o.max_frames ? o.max_frames : reader.frame_count().value_or(0);
  media::VideoWriter writer(o.encode.output, reader.width(), reader.height(), fps,
                            o.encode.writer_options());
  if (!o.encode.frames_dir.empty()) fs::create_directories(o.encode.frames_dir);
  media::ProgressBarOptions bar_options;
  bar_options.unit = "frame";
  media::ProgressBar bar("frames", total, bar_options);
  Image frame;
  int k = 0;
  while ((o.max_frames == 0 || k < o.max_frames) && reader.read(frame)) {
    Image out = restyle(session, frame);
    writer.write(out);
    if (!o.encode.frames_dir.empty()) {
      char name[32];
      std::snprintf(name, sizeof name, "%04d.png", k);
      media::write_png(fs::path(o.encode.frames_dir) / name, out);
    }
    ++k;
    bar.advance();
  }
  writer.finish();
  bar.finish();
  if (k == 0) throw Error(o.input + ": no video frames could be decoded");
  std::fprintf(stderr, "wrote %s: %d frames at %d/%d fps\n", o.encode.output.c_str(), k, fps.num,
               fps.den);
  return kExitOk;
}

}  // namespace amused::cli
