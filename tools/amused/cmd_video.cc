// `amused video`: a prompt to a video file. Frames come from one VideoSession (cross-frame
// attention, boundary re-masking under camera motion) and are encoded through libavcodec.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "amused.h"
#include "cli_error.h"
#include "framerate.h"
#include "interrupt.h"
#include "media/image_io.h"
#include "media/progress_bar.h"
#include "media/video_writer.h"
#include "model_options.h"
#include "option_parser.h"
#include "outputs.h"
#include "video_options.h"

namespace amused::cli {

namespace {

namespace fs = std::filesystem;

struct VideoCommand {
  ModelOptions model;
  VideoParams video;
  ConsistencyOptions consistency;
  EncodeOptions encode;
  int frames = 24;
  std::string fps = "8";
  std::string camera_motion = "none";
  std::string audio;
  double audio_fade = 0.5;
  bool metrics = false;
};

void add_options(OptionParser &p, VideoCommand &o) {
  GenerateParams &g = o.video.generate;
  add_generate_options(
      p, g,
      {"what to show (required)", "random seed; frame k uses seed + k (default: 0)",
       "denoising steps of a full frame (default: 12)"});
  p.add_int("width", 'W', "W", "frame width (default: the model's native width)", &g.width);
  p.add_int("height", 'H', "H", "frame height (default: the model's native height)", &g.height);
  p.add_int("frames", 'f', "N", "number of frames, 1..100000 (default: 24)", &o.frames);
  p.add_string("fps", 0, "F", "frame rate, e.g. 8, 12.5 or 30000/1001 (default: 8)", &o.fps);
  p.add_string("camera-motion", 'm', "MOTION",
               "none, pan-left, pan-right, pan-up, pan-down, zoom-in or zoom-out (default: none)",
               &o.camera_motion);
  p.add_double("motion-speed", 0, "PX",
               "camera speed in pixels per frame; fractions accumulate (default: 2)",
               &o.video.motion_speed);
  p.add_int("keyframe-interval", 0, "N",
            "every N frames re-mask a tenth of the tokens to avoid a frozen look; 0 = never "
            "(default: 0)",
            &o.video.keyframe_interval);
  o.consistency.add_to(p);
  o.encode.add_to(p);
  p.add_string("audio", 0, "FILE",
               "soundtrack: the first audio stream of FILE (anything FFmpeg reads), cut to the "
               "video's length and faded out, encoded AAC (PCM in .mov) (default: none)",
               &o.audio);
  p.add_double("audio-fade", 0, "SECONDS",
               "length of the soundtrack's fade-out at the end, 0..60 (default: 0.5)",
               &o.audio_fade);
  p.add_flag("metrics", 0,
             "print consistency figures at the end (shared-region error after undoing the "
             "camera move, frames per second)",
             &o.metrics);
  o.model.add_to(p);
}

}  // namespace

int run_video(int argc, char **argv) {
  VideoCommand o;
  o.video.motion_speed = 2.0;
  OptionParser parser("amused video", "Render a video from a text prompt.");
  add_options(parser, o);
  parser.set_epilogue(
      "Example:\n  amused video --prompt \"a red car on a road under a sunset sky\" \\\n"
      "    --frames 48 --fps 12 --camera-motion pan-right --motion-speed 2 --audio music.mp3 \\\n"
      "    --output promo.mp4\n");
  if (!parser.parse(argc, argv)) return kExitOk;
  if (o.video.generate.prompt.empty()) throw UsageError("--prompt is required");
  if (o.encode.output.empty()) throw UsageError("--output is required");
  if (o.frames < 1 || o.frames > 100000)
    throw UsageError("--frames: " + std::to_string(o.frames) + " is outside 1..100000");
  if (!(o.video.motion_speed >= 0 && o.video.motion_speed <= 1000))
    throw UsageError("--motion-speed: must be between 0 and 1000");
  if (o.video.keyframe_interval < 0) throw UsageError("--keyframe-interval: must be >= 0");
  if (o.video.generate.steps < 1) throw UsageError("--steps: must be at least 1");
  o.video.camera_motion = parse_flag("--camera-motion", o.camera_motion, parse_camera_motion);
  o.video.consistency = o.consistency.params();
  const media::Rational fps = parse_framerate(o.fps, "--fps");
  if (!(o.audio_fade >= 0 && o.audio_fade <= 60))
    throw UsageError("--audio-fade: must be between 0 and 60 seconds");
  auto writer_options = o.encode.writer_options();
  writer_options.side_streams.soundtrack = o.audio;
  writer_options.side_streams.fade_out_seconds = o.audio_fade;
  check_output_folder(o.encode.output, "--output");
  if (!o.audio.empty() && !fs::is_regular_file(o.audio))
    throw Error(o.audio + ": no such file (--audio)");
  if (!o.encode.frames_dir.empty()) fs::create_directories(o.encode.frames_dir);

  auto model = o.model.load();
  const ModelInfo info = describe(*model);
  const int width = o.video.generate.width ? o.video.generate.width : info.native_width;
  const int height = o.video.generate.height ? o.video.generate.height : info.native_height;
  check_size(*model, width, height);

  media::VideoWriter writer(o.encode.output, width, height, fps, writer_options);
  VideoSession session(model);
  const InterruptWatch interrupt;
  RunControl control;
  control.cancel = interrupt.flag();
  media::ProgressBarOptions bar_options;
  bar_options.unit = "frame";
  media::ProgressBar bar("frames", o.frames, bar_options);
  Frame previous;
  double error_sum = 0, seconds = 0;
  int compared = 0;
  const auto start = std::chrono::steady_clock::now();
  int made = 0;
  for (int k = 0; k < o.frames && !interrupt.interrupted(); ++k) {
    Frame frame;
    try {
      frame = session.generate_next(o.video, control);
    } catch (const Cancelled &) {
      break;  // the frame in progress is dropped; the ones before make the file
    }
    writer.write(frame.image);
    if (!o.encode.frames_dir.empty()) {
      char name[32];
      std::snprintf(name, sizeof name, "%04d.png", k);
      media::write_png(fs::path(o.encode.frames_dir) / name, frame.image);
    }
    if (o.metrics && k > 0) {
      const int dx = static_cast<int>(frame.stats.camera_x - previous.stats.camera_x);
      const int dy = static_cast<int>(frame.stats.camera_y - previous.stats.camera_y);
      if (std::abs(dx) < width && std::abs(dy) < height) {
        error_sum += video::shared_region_error(previous.image, frame.image, dx, dy);
        ++compared;
      }
    }
    seconds += frame.stats.seconds;
    previous = std::move(frame);
    ++made;
    bar.advance();
  }
  writer.finish();
  bar.finish();
  if (interrupt.interrupted()) {
    if (made == 0) {
      std::error_code ec;
      fs::remove(o.encode.output, ec);
      std::fprintf(stderr,
                   "amused video: interrupted by %s before the first frame; no file written\n",
                   interrupt.signal_name());
    } else {
      std::fprintf(
          stderr, "amused video: interrupted by %s: %s holds the %d frames made (%.3f s)\n",
          interrupt.signal_name(), o.encode.output.c_str(), made, writer.seconds_written());
    }
    return interrupt.exit_status();
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::string sound;
  for (const auto &note : writer.side_stream_notes())
    sound = ", soundtrack " + note.file.string() + " (" + note.detail + ")";
  std::fprintf(stderr, "wrote %s: %d frames, %dx%d, %s at %d/%d fps%s, %.2f s of generation\n",
               o.encode.output.c_str(), o.frames, width, height,
               media::to_string(writer_options.codec), fps.num, fps.den, sound.c_str(), seconds);
  if (o.metrics) {
    std::printf("| figure | value |\n|---|---|\n");
    std::printf("| mode | cross-frame-attention=%s reuse-tokens=%s |\n",
                to_string(o.video.consistency.cross_frame_attention),
                o.video.consistency.reuse_tokens ? "true" : "false");
    std::printf("| frames per second (generation + encoding) | %.3f |\n", o.frames / wall);
    if (compared)
      std::printf("| shared-region error, mean abs (0..255) | %.3f |\n", error_sum / compared);
  }
  return kExitOk;
}

}  // namespace amused::cli
