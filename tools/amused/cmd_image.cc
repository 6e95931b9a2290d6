// `amused image`: one prompt to images, through the three aMUSEd pipelines of diffusers:
// text to image (AmusedPipeline), --init-image (AmusedImg2ImgPipeline) and --init-image with
// --mask-image (AmusedInpaintPipeline). Defaults are those pipelines' defaults.
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include "amused.h"
#include "cli_error.h"
#include "media/image_io.h"
#include "media/progress_bar.h"
#include "model_options.h"
#include "option_parser.h"
#include "outputs.h"

namespace amused::cli {

namespace {

namespace fs = std::filesystem;

// The `strength` defaults of AmusedImg2ImgPipeline.__call__ and AmusedInpaintPipeline.__call__.
constexpr double kImageToImageStrength = 0.5;
constexpr double kInpaintStrength = 1.0;

enum class Mode { kTextToImage, kImageToImage, kInpaint };

struct ImageOptions {
  ModelOptions model;
  GenerateParams params;  // its defaults are the pipelines' defaults
  std::string init_image;
  std::string mask_image;
  double strength = 0.0;  // resolved from the mode when --strength is absent
  std::string output;
  std::string tokens_output;
  Mode mode = Mode::kTextToImage;
};

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

void add_options(OptionParser &p, ImageOptions &o) {
  GenerateParams &g = o.params;
  add_generate_options(p, g,
                       {"what to draw (required)",
                        "random seed; the same seed gives diffusers' image (default: " +
                            std::to_string(g.seed) + ")",
                        "denoising steps (default: " + std::to_string(g.steps) + ")"});
  p.add_int("width", 'W', "W",
            "image width in pixels, a multiple of the model's token size (default: the model's "
            "native width)",
            &g.width);
  p.add_int("height", 'H', "H", "image height in pixels (default: the model's native height)",
            &g.height);
  p.add_string("init-image", 'i', "PNG",
               "start from this image (image to image); resized to the output size if needed "
               "(default: none, text to image)",
               &o.init_image);
  p.add_double("strength", 0, "F",
               "with --init-image: fraction of the denoising steps run on its tokens, 0..1 "
               "(default: " +
                   number(kImageToImageStrength) + ", or " + number(kInpaintStrength) +
                   " with --mask-image)",
               &o.strength);
  p.add_string("mask-image", 0, "PNG",
               "with --init-image: inpaint where the mask is white (alpha or luminance >= 50% "
               "over a token) (default: none)",
               &o.mask_image);
  p.add_int("num-images", 'N', "N",
            "images from one generator, written to OUT-0.png, OUT-1.png, ... (default: " +
                std::to_string(g.num_images) + ")",
            &g.num_images);
  o.model.add_to(p);
  p.add_string("output", 'o', "OUT.png", "PNG file to write (required)", &o.output);
  p.add_string("tokens-output", 0, "OUT.json",
               "also write the final VQ token grid(s) as JSON, [rows][cols] or [N][rows][cols] "
               "with --num-images > 1 (default: none)",
               &o.tokens_output);
  p.set_epilogue(
      "Examples:\n"
      "  amused image -p \"a red car on a road under a sunset sky\" --seed 7 -o car.png\n"
      "  amused image -p \"winter mountains\" --init-image in.png --strength 0.6 -o out.png\n"
      "  amused image -p \"a cute dog\" --init-image in.png --mask-image mask.png -o out.png\n");
}

// Everything that can be checked without the model. Throws UsageError naming the flag.
void validate(const OptionParser &p, ImageOptions &o) {
  const GenerateParams &g = o.params;
  if (!p.given("prompt")) throw UsageError("--prompt is required");
  if (o.output.empty()) throw UsageError("--output is required");
  if (g.steps < 1 || g.steps > 1000)
    throw UsageError("--steps: must be between 1 and 1000, got " + std::to_string(g.steps));
  if (g.guidance_scale && (*g.guidance_scale < 0.0 || *g.guidance_scale > 100.0))
    throw UsageError("--guidance-scale: must be between 0 and 100, got " +
                     number(*g.guidance_scale));
  if (g.num_images < 1 || g.num_images > 64)
    throw UsageError("--num-images: must be between 1 and 64, got " + std::to_string(g.num_images));
  if (g.width < 0) throw UsageError("--width: must be positive, got " + std::to_string(g.width));
  if (g.height < 0) throw UsageError("--height: must be positive, got " + std::to_string(g.height));
  if (!o.mask_image.empty() && o.init_image.empty())
    throw UsageError("--mask-image needs --init-image (the image to inpaint)");
  if (p.given("strength") && o.init_image.empty())
    throw UsageError("--strength needs --init-image (text to image always runs every step)");
  o.mode = o.init_image.empty()   ? Mode::kTextToImage
           : o.mask_image.empty() ? Mode::kImageToImage
                                  : Mode::kInpaint;
  if (!p.given("strength"))
    o.strength = o.mode == Mode::kInpaint ? kInpaintStrength : kImageToImageStrength;
  if (!(o.strength >= 0.0 && o.strength <= 1.0))
    throw UsageError("--strength: must be between 0 and 1, got " + number(o.strength));
  o.model.load_options();  // --device, --precision, --threads
}

// Reads an input PNG; the engine's reason (missing, not a PNG, corrupt) follows the flag.
Image read_input(const std::string &flag, const std::string &path, bool mask) {
  try {
    return mask ? media::read_mask(path) : media::read_image(path);
  } catch (const Error &e) {
    throw Error(flag + ": " + e.what());
  }
}

Image fit(const Image &image, int width, int height, const char *what) {
  if (image.width == width && image.height == height) return image;
  std::fprintf(stderr, "amused image: resizing the %s from %dx%d to %dx%d\n", what, image.width,
               image.height, width, height);
  return resize_image(image, width, height);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int run_image(int argc, char **argv) {
  ImageOptions o;
  OptionParser parser("amused image", "Generate images from a text prompt with aMUSEd.");
  add_options(parser, o);
  if (!parser.parse(argc, argv)) return kExitOk;
  validate(parser, o);

  // Cheap checks first, so a typo does not cost a model load and a generation.
  const auto outputs = numbered_paths(o.output, o.params.num_images);
  check_output_folder(o.output, "--output");
  if (!o.tokens_output.empty()) check_output_folder(o.tokens_output, "--tokens-output");
  Image init, mask;
  if (o.mode != Mode::kTextToImage) init = read_input("--init-image", o.init_image, false);
  if (o.mode == Mode::kInpaint) mask = read_input("--mask-image", o.mask_image, true);

  const auto load_start = std::chrono::steady_clock::now();
  auto model = o.model.load();
  const double load_seconds = seconds_since(load_start);
  const ModelInfo info = describe(*model);

  GenerateParams &g = o.params;
  const int width = g.width ? g.width : info.native_width;
  const int height = g.height ? g.height : info.native_height;
  try {
    check_size(*model, width, height);
  } catch (const Error &e) {
    throw UsageError(std::string("--width/--height: ") + e.what());
  }
  g.width = width;
  g.height = height;

  if (o.mode != Mode::kTextToImage) init = fit(init, width, height, "init image");
  // A mask drawn at the token grid is used as it is; any other size is fitted to the image.
  const int grid_w = width / info.vae_scale_factor, grid_h = height / info.vae_scale_factor;
  if (o.mode == Mode::kInpaint && !(mask.width == grid_w && mask.height == grid_h))
    mask = fit(mask, width, height, "mask");

  // The pipelines run int(steps * strength) of the steps on an init image, as diffusers.
  const int total = o.mode == Mode::kTextToImage
                        ? g.steps
                        : static_cast<int>(static_cast<double>(g.steps) * o.strength);
  media::ProgressBarOptions bar_options;
  bar_options.unit = "step";
  std::optional<media::ProgressBar> bar;  // none when no step runs (strength 0)
  if (total > 0) bar.emplace("amused image", total, bar_options);
  RunControl control;
  control.on_step = [&bar](int step, int) {
    if (bar) bar->update(step);
  };

  const auto run_start = std::chrono::steady_clock::now();
  Result result;
  switch (o.mode) {
    case Mode::kTextToImage:
      result = text_to_image(*model, g, control);
      break;
    case Mode::kImageToImage:
      result = image_to_image(*model, g, init, o.strength, control);
      break;
    case Mode::kInpaint:
      result = inpaint(*model, g, init, mask, o.strength, control);
      break;
  }
  if (bar) bar->finish();
  const double run_seconds = seconds_since(run_start);

  for (size_t i = 0; i < result.images.size(); ++i) media::write_png(outputs[i], result.images[i]);
  if (!o.tokens_output.empty()) write_tokens_json(o.tokens_output, result.tokens, g.num_images > 1);

  for (const auto &path : outputs) std::printf("%s\n", path.string().c_str());
  std::fprintf(stderr, "amused image: %d image(s) %dx%d in %.2f s (model load %.2f s)\n",
               g.num_images, width, height, run_seconds, load_seconds);
  return kExitOk;
}

}  // namespace amused::cli
