// libamused: the aMUSEd masked image model (CLIP text encoder, U-ViT transformer over VQ-GAN
// tokens, MaskGIT-style parallel decoding) and its video extensions.
//
// This is the engine's only public header. It includes only the standard library: no
// GStreamer, no GLib, no libtorch, so command-line tools, GStreamer elements and
// applications compile against it quickly and without torch's headers.
//
// Usage sketch:
//
//   amused::configure_runtime();  // optional: every core, recycled CPU memory
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

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
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
// RGB images have 3 channels, RGBA 4; masks have 1 (255 = regenerate, 0 = keep).
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

struct Size {
  int width = 0;
  int height = 0;
};

// ---------------------------------------------------------------------------------------
// Names of the enumerations, shared by the command line and the elements. Every parse_*
// throws Error naming the value and the accepted names.

enum class Precision {
  kFloat32,   // the reference's numerics; parity tests run in this mode
  kBFloat16,  // text encoder and transformer in bfloat16 (weights converted once at load)
  kInt8,      // transformer linear layers in int8 (per-channel weights, per-token activations)
};

enum class CrossFrameAttention {
  kNone,              // each frame attends to itself only
  kFirst,             // ... and to the anchor (first) frame
  kFirstAndPrevious,  // ... and to the anchor and the previous frame
};

enum class CameraMotion { kNone, kPanLeft, kPanRight, kPanUp, kPanDown, kZoomIn, kZoomOut };

const char *to_string(Precision precision);  // "fp32", "bf16", "int8"
const char *to_string(CrossFrameAttention mode);
const char *to_string(CameraMotion motion);
Precision parse_precision(const std::string &name);
CrossFrameAttention parse_cross_frame_attention(const std::string &name);
CameraMotion parse_camera_motion(const std::string &name);
// "cpu", "cuda" or "cuda:N"; anything else throws Error.
std::string parse_device(const std::string &name);

// ---------------------------------------------------------------------------------------
// The process: threads and CPU memory. Nothing here happens unless the caller asks.

struct RuntimeOptions {
  // Threads for engine calls whose RunControl::threads is 0; 0 = every core (or
  // OMP_NUM_THREADS when it is set), which is also what applies without this call.
  int threads = 0;
  // libtorch's CPU tensors from the recycling allocator: large blocks are kept when freed
  // and handed out again, instead of the kernel mapping and zeroing them anew every step.
  // It holds at most a quarter of the machine's memory, or AMUSED_CPU_CACHE_MB megabytes
  // (0 turns it off). Installed once per process; later calls cannot remove it.
  bool recycle_cpu_memory = true;
};
void configure_runtime(const RuntimeOptions &options = {});

struct RecyclingStats {
  size_t reused = 0;        // large allocations served from the cache
  size_t fresh = 0;         // large allocations that went to the system
  size_t cached_bytes = 0;  // freed blocks held for reuse now
  size_t cap_bytes = 0;     // most it holds; the oldest blocks go back beyond it
};
RecyclingStats recycling_stats();
// Returns every block the recycling allocator holds to the system (blocks in use stay).
void release_recycled_cpu_memory();

// ---------------------------------------------------------------------------------------
// Models

struct LoadOptions {
  std::string device = "cpu";  // "cpu", "cuda" or "cuda:N"; an unusable one is an Error
  Precision precision = Precision::kFloat32;
};

class Model;

// Loads a checkpoint folder in the diffusers layout (model_index.json, text_encoder/,
// tokenizer/, transformer/, vqvae/, scheduler/). Throws Error naming the file and key on
// any problem. Every call loads anew; ModelCache shares loaded models.
std::shared_ptr<const Model> load_model(const std::filesystem::path &dir,
                                        const LoadOptions &options = {});

// Keeps one Model per (folder, options) while someone holds it, so elements and threads
// that name the same folder share the weights. Thread-safe.
class ModelCache {
 public:
  ModelCache();
  std::shared_ptr<const Model> get(const std::filesystem::path &dir,
                                   const LoadOptions &options = {});

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// The default model that ships with the project: $AMUSED_DEFAULT_MODEL, else the source
// tree's copy when running from a build directory, else the installed one. Throws Error if
// none exists.
std::filesystem::path default_model_dir();

// What callers need to know of a model, geometry included: they ask, never recompute.
struct ModelInfo {
  std::filesystem::path dir;
  int native_width = 0;  // sample_size * vae_scale_factor
  int native_height = 0;
  int vae_scale_factor = 0;  // pixels per token edge
  int size_multiple = 0;     // every width and height is a multiple of this
  int max_size = 0;          // and at most this
  int codebook_size = 0;
  int mask_token_id = 0;
  bool downsample = false;  // the transformer halves the token grid internally
  int64_t parameters = 0;   // total parameter count of all components
  std::string device;
  std::string precision;
  double default_guidance_scale = 10.0;  // what an unset GenerateParams::guidance_scale uses
};
ModelInfo describe(const Model &model);

// Checks that `width` x `height` is a size the model can produce; throws Error otherwise.
void check_size(const Model &model, int width, int height);

// The size the model works at for a picture of `width` x `height`: `work_scale` times the
// model's native pixel count, at the picture's aspect ratio, each side a multiple of
// size_multiple within [size_multiple, max_size]. Throws Error for a non-positive size or
// a work_scale outside (0, 16].
Size fit_size(const Model &model, int width, int height, double work_scale = 1.0);

// ---------------------------------------------------------------------------------------
// Pixels

// Resamples a 1-, 3- or 4-channel image: area averaging when shrinking, bicubic when
// enlarging (clamped), each channel on its own. The same size returns a copy.
Image resize_image(const Image &image, int width, int height);

// A 1-channel mask (255 = regenerate) from an RGBA picture: the alpha channel when the
// colour is the same everywhere and the alpha varies, else the luminance (ITU-R 601, as
// PIL's convert("L"), so gray stays exact and masks match diffusers').
Image mask_from_rgba(const Image &rgba);

// ---------------------------------------------------------------------------------------
// Images

struct GenerateParams {
  std::string prompt;
  std::string negative_prompt;  // empty = the reference's default (an empty prompt)
  uint64_t seed = 0;
  int steps = 12;
  // Classifier-free guidance is on when > 1. Unset: the model's recommended scale
  // (ModelInfo::default_guidance_scale: generation_config.json, else diffusers' 10).
  std::optional<double> guidance_scale;
  int width = 0;  // 0 = the model's native size
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

// Progress, cancellation and threads for long calls.
struct RunControl {
  std::function<void(int step, int total)> on_step;  // called after each scheduler step
  const std::atomic<bool> *cancel = nullptr;         // checked before each step
  // Threads for this call, on the calling thread only (other threads keep theirs);
  // 0 = configure_runtime's choice.
  int threads = 0;
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

// ---------------------------------------------------------------------------------------
// Video: consecutive frames that share their background.
//
// A VideoSession keeps the state of one stream: the previous frame's token grid (moved by
// the camera or compared with the new source frame, so that only new or changed tokens are
// regenerated and every other token is kept bit for bit), and the anchor frame's
// self-attention keys/values (cross-frame attention). Frame k uses the generator seeded
// with `seed + k`.

// What keeps consecutive frames consistent, for generated and restyled video alike.
struct ConsistencyParams {
  CrossFrameAttention cross_frame_attention = CrossFrameAttention::kFirst;
  bool reuse_tokens = true;  // keep unchanged (moved) tokens, regenerate only new ones
  int remask_boundary = 1;   // tokens re-masked next to the revealed/changed ones, 0..64
};

struct VideoParams {
  GenerateParams generate;  // prompt, seed, steps, guidance, size (num_images is ignored)
  ConsistencyParams consistency;
  CameraMotion camera_motion = CameraMotion::kNone;
  double motion_speed = 0.0;  // pixels per frame; fractional speeds accumulate
  int keyframe_interval = 0;  // every N frames re-mask `refresh_fraction` of the tokens; 0 = never
  double refresh_fraction = 0.1;
  int min_steps = 3;  // steps for a partial frame scale with the masked fraction
};

struct StylizeParams {
  GenerateParams generate;  // prompt, seed, steps, guidance (the size comes from the source)
  ConsistencyParams consistency;
  double strength = 0.5;  // fraction of the regenerated region that is re-masked
  // A token counts as changed when the mean absolute difference of its source pixels
  // from the previous source frame exceeds this (0..1, in units of full scale).
  double change_threshold = 0.04;
  double scene_cut_fraction = 0.5;  // more changed tokens than this starts a new anchor
  // The model works at fit_size(source, work_scale): 1 = its native pixel count.
  double work_scale = 1.0;
  // Optional, 1 channel, any size (scaled to the source): restyle only where it is 255,
  // blend where it is between; where it is 0 the output is the source, pixel for pixel.
  Image mask;
};

struct FrameStats {
  int64_t index = 0;  // frame number in the session
  int steps_run = 0;  // transformer passes (0 when nothing needed regenerating)
  int tokens_total = 0;
  int tokens_regenerated = 0;  // masked and sampled again in this frame
  bool keyframe = false;       // generated from scratch (first frame, scene cut, refresh)
  double seconds = 0.0;
  // Where the camera is, in pixels of the scene, relative to the anchor frame (pans):
  // frame b shows at (x, y) what frame a showed at (x + b.camera_x - a.camera_x, ...).
  int64_t camera_x = 0;
  int64_t camera_y = 0;
  Size work_size;  // the size the model ran at
};

struct Frame {
  Image image;       // RGB: the requested size (generate) or the source's size (stylize)
  TokenGrid tokens;  // the frame's token grid (the visible part for pans)
  FrameStats stats;
};

class VideoSession {
 public:
  explicit VideoSession(std::shared_ptr<const Model> model);
  ~VideoSession();
  VideoSession(const VideoSession &) = delete;
  VideoSession &operator=(const VideoSession &) = delete;

  // Text to video: the next frame of a generated (and possibly moving) scene.
  Frame generate_next(const VideoParams &params, const RunControl &control = {});
  // Restyles `source` (RGB, any size) as the next frame of the stream; the frame comes back
  // at the source's size.
  Frame stylize_next(const Image &source, const StylizeParams &params,
                     const RunControl &control = {});
  // Forget the stream: the next frame is a new anchor.
  void reset();
  int64_t frames() const;
  const Model &model() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Pays libtorch's one-time costs (kernel selection, weight packing, the allocator's first
// blocks) with a short throwaway generation before the first real frame, and estimates a
// steady-state keyframe (every step and a decode) with the one-time costs left out.
struct FrameEstimate {
  double step_seconds = 0;    // one transformer step, after the first
  double decode_seconds = 0;  // one VQ decode (and, for stylization, one encode)
  double frame_seconds = 0;   // a keyframe: the steps it runs and the decode
};
FrameEstimate warm_up(const std::shared_ptr<const Model> &model, const VideoParams &params,
                      const RunControl &control = {});
// For restyling `source`-sized frames with `params` (strength scales the steps).
FrameEstimate warm_up(const std::shared_ptr<const Model> &model, const StylizeParams &params,
                      Size source, const RunControl &control = {});

// Temporal-consistency metrics, one definition shared by tests, benchmarks and `amused
// video --metrics`. All pixel figures are in 8-bit levels (0..255).
namespace video {

// Mean absolute difference between frame b and frame a over the region both show, after
// undoing the known camera move: b(x, y) is compared with a(x + dx, y + dy).
double shared_region_error(const Image &a, const Image &b, int dx, int dy);

// Fraction of tokens that differ over the shared region of two token grids, for camera
// moves of whole tokens (dx, dy in tokens).
double shared_token_change(const TokenGrid &a, const TokenGrid &b, int dx, int dy);

// Fraction of the tokens flagged `static_tokens` (row-major, rows*cols) that differ.
double token_flicker(const TokenGrid &a, const TokenGrid &b,
                     const std::vector<bool> &static_tokens);

// Mean absolute pixel difference over the tokens flagged static (token size `scale`).
double static_region_difference(const Image &a, const Image &b,
                                const std::vector<bool> &static_tokens, int scale);

// Tokens whose source pixels changed by more than `threshold` (mean absolute difference, 0..1).
std::vector<bool> changed_tokens(const Image &a, const Image &b, int scale, double threshold);

// How visible the seam between kept and regenerated tokens is: the mean absolute step
// between the two pixel lines on either side of the given token boundaries (column
// boundaries x = c * scale, row boundaries y = r * scale), against the same step at every
// other token boundary of the image. ratio ~1: the seam looks like any token edge.
struct SeamError {
  double seam_step = 0;
  double other_step = 0;
  double ratio = 0;
};
SeamError seam_error(const Image &image, int scale, const std::vector<int> &boundary_columns,
                     const std::vector<int> &boundary_rows);

}  // namespace video

}  // namespace amused
