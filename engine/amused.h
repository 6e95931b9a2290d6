// libamused: the aMUSEd masked image model (CLIP text encoder, U-ViT transformer over VQ-GAN
// tokens, MaskGIT-style parallel decoding) and its video extensions.
//
// This is the engine's only public header. It carries no GStreamer, no GLib and no ATen
// tensor types, so command-line tools and GStreamer elements compile against it quickly.
//
// Usage sketch:
//
//   auto model = amused::load_model("models/amused-default");
//   amused::GenerateParams p;
//   p.prompt = "a red car on a road under a sunset sky";
//   p.seed = 7;
//   amused::Result r = amused::text_to_image(*model, p);
//   // r.images[0] is RGB8 at the model's native size, r.tokens[0] its token grid.
//
// Thread safety: a Model is immutable once loaded and may be used from several threads at
// once (every request builds its own generator and buffers). A VideoSession holds
// per-stream state and must be driven by one thread at a time.
#pragma once

#include <c10/core/Device.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace amused {

// Every failure the engine reports: unreadable or inconsistent files, bad arguments,
// unavailable devices. The message names the file, key or value and the reason.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Raised when a RunControl's cancel flag is set; generation stops between steps.
class Cancelled : public Error {
 public:
  Cancelled() : Error("generation cancelled") {}
};

// 8-bit image, row-major, tightly packed: `pixels.size() == width * height * channels`.
// RGB images have 3 channels; masks have 1 (255 = regenerate, 0 = keep).
struct Image {
  int width = 0;
  int height = 0;
  int channels = 3;
  std::vector<uint8_t> pixels;

  bool empty() const { return pixels.empty(); }
};

// A grid of VQ codebook indices (or the mask token id), row-major.
struct TokenGrid {
  int rows = 0;
  int cols = 0;
  std::vector<int64_t> ids;
};

enum class Precision {
  kFloat32,   // the reference's numerics; parity tests run in this mode
  kBFloat16,  // transformer and text encoder matmuls in bf16 (fast on AMX); VQ stays fp32
};

struct LoadOptions {
  c10::Device device = c10::Device(c10::kCPU);
  Precision precision = Precision::kFloat32;
};

class Model;

// Loads a checkpoint folder in the diffusers layout (model_index.json, text_encoder/,
// tokenizer/, transformer/, vqvae/, scheduler/). Throws Error naming the file and key on
// any problem. Loading the same folder with the same options twice returns the same
// shared Model while one is still alive.
std::shared_ptr<const Model> load_model(const std::filesystem::path &dir,
                                        const LoadOptions &options = {});

// Sets libtorch's intra-op thread count for the process (0 leaves it unchanged).
void set_num_threads(int threads);

struct ModelInfo {
  std::filesystem::path dir;
  int native_width = 0;  // sample_size * vae_scale_factor
  int native_height = 0;
  int vae_scale_factor = 0;  // pixels per token edge
  int codebook_size = 0;
  int mask_token_id = 0;
  bool downsample = false;  // the transformer halves the token grid internally
  int64_t parameters = 0;   // total parameter count of all components
  std::string device;
  std::string precision;
};
ModelInfo describe(const Model &model);

// Checks that `width` x `height` is a size the model can produce; throws Error otherwise.
void check_size(const Model &model, int width, int height);

struct GenerateParams {
  std::string prompt;
  std::string negative_prompt;  // empty = the reference's default (an empty prompt)
  uint64_t seed = 0;
  int steps = 12;
  double guidance_scale = 10.0;  // classifier-free guidance is on when > 1
  int width = 0;                 // 0 = the model's native size
  int height = 0;
  int num_images = 1;
  // Micro-conditioning, as AmusedPipeline's defaults.
  double aesthetic_score = 6.0;
  int crop_top = 0;
  int crop_left = 0;
  // Sampling temperature, linear from start to end over the steps.
  double temperature_start = 2.0;
  double temperature_end = 0.0;

  std::string to_string() const;
};

// Progress and cancellation for long calls.
struct RunControl {
  std::function<void(int step, int total)> on_step;  // called after each scheduler step
  const std::atomic<bool> *cancel = nullptr;         // checked before each step
};

struct Result {
  std::vector<Image> images;      // RGB, width x height
  std::vector<TokenGrid> tokens;  // the final token grid of each image
};

// AmusedPipeline.
Result text_to_image(const Model &model, const GenerateParams &params,
                     const RunControl &control = {});

// AmusedImg2ImgPipeline: `init` must already be width x height (the model size by default).
Result image_to_image(const Model &model, const GenerateParams &params, const Image &init,
                      double strength, const RunControl &control = {});

// AmusedInpaintPipeline: `mask` is 1-channel, 255 where the image is regenerated.
Result inpaint(const Model &model, const GenerateParams &params, const Image &init,
               const Image &mask, double strength = 1.0, const RunControl &control = {});

}  // namespace amused
