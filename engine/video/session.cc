// VideoSession: consecutive frames that keep their background. It composes the camera
// (camera.h), the re-mask plan (remask_plan.h) and the anchor cache (anchor_cache.h) around
// the sampling loop.
//
// Text to video keeps a token canvas one token larger than the frame on every side. When
// the camera has moved a whole token the canvas shifts, and only the entering row/column
// plus a band of `remask_boundary` tokens is masked and sampled again (with fewer steps),
// attending to the anchor frame's keys/values. Every other token is kept bit for bit.
// Between whole-token moves the frame is the decoded canvas cropped at the sub-token offset.
// Zooms resample the canvas in pixel space once per token of zoom and re-encode it.
//
// Stylization encodes each source frame (at the working size fit_size gives); tokens whose
// source pixels did not change keep the previous stylized token, changed ones (plus a band)
// start from the source tokens and a `strength` fraction of them is sampled again. The
// result is scaled back to the source's size and blended with it through the mask.
#include <torch/torch.h>

#include <chrono>
#include <optional>

#include "amused.h"
#include "pipeline/model.h"
#include "pipeline/sampling_loop.h"
#include "pipeline/text_cache.h"
#include "pixels/image_ops.h"
#include "util/thread_scope.h"
#include "video/anchor_cache.h"
#include "video/camera.h"
#include "video/remask_plan.h"
#include "video/token_grid_ops.h"
#include "video/window.h"

namespace amused {

using torch::indexing::Slice;

namespace {

// A generated stream's canvas and camera.
struct GeneratedStream {
  torch::Tensor canvas;         // [1, rows + 2, cols + 2] token ids
  torch::Tensor canvas_pixels;  // decoded canvas, [1,3,*,*]; undefined when stale
  video::Camera camera;
};

// A restyled stream's previous input and output.
struct RestyledStream {
  torch::Tensor previous_source;  // [1,3,h,w] at the working size
  torch::Tensor previous_tokens;  // [1,rows,cols]
  torch::Tensor previous_pixels;  // [1,3,h,w], decoded with the anchor's normalisation
};

// One token of margin on every side holds what the camera is about to reveal; models that
// halve the grid internally need even sizes, hence a margin of one on each side.
constexpr int64_t kMargin = 1;
// A partial frame's transformer runs on the re-masked band and this many tokens around it;
// beyond them the anchor frame's keys/values carry the scene.
constexpr int64_t kContextTokens = 2;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void check_consistency(const ConsistencyParams &c) {
  if (c.remask_boundary < 0 || c.remask_boundary > 64)
    throw Error("remask-boundary must be between 0 and 64, got " +
                std::to_string(c.remask_boundary));
}

}  // namespace

struct VideoSession::State {
  std::shared_ptr<const Model> model;
  int64_t index = 0;
  // Identity of the current anchor: a change of any of these starts a new one.
  std::string prompt, negative_prompt;
  int width = 0, height = 0;
  TextCache text_cache;
  video::AnchorCache anchors;
  std::optional<GeneratedStream> generated;
  std::optional<RestyledStream> restyled;

  const Model &m() const { return *model; }
  int64_t mask_id() const { return m().scheduler_config().mask_token_id; }

  bool same_anchor(const GenerateParams &g, int w, int h) const {
    return index > 0 && g.prompt == prompt && g.negative_prompt == negative_prompt && w == width &&
           h == height;
  }

  void adopt_anchor(const GenerateParams &g, int w, int h) {
    prompt = g.prompt;
    negative_prompt = g.negative_prompt;
    width = w;
    height = h;
    anchors.clear();
  }

  // Decodes with the anchor's normalisation when tokens are reused, so that kept tokens
  // decode to the same pixels in every frame; independent frames decode on their own.
  torch::Tensor decode(const torch::Tensor &tokens, bool reuse) {
    if (!reuse) return pipeline::decode_tokens(m(), tokens);
    auto &norms = anchors.decoder_norms();
    if (!norms.recorded()) {
      norms.mode = nn::NormStats::Mode::kRecord;
      auto image = pipeline::decode_tokens(m(), tokens, &norms);
      norms.mode = nn::NormStats::Mode::kApply;
      return image;
    }
    return pipeline::decode_tokens(m(), tokens, &norms);
  }

  // The windows a partial frame's transformer runs on: each group of re-masked tokens and
  // its context, or none (the whole grid) when they would cover most of it anyway.
  std::vector<video::TokenWindow> transformer_windows(const torch::Tensor &band) const {
    const int64_t align = m().transformer()->config().downsample ? 2 : 1;
    return video::windows_around(band, kContextTokens, align);
  }

  // `tokens` decoded where `band` changed and `previous` kept elsewhere (the seam blended
  // over one token). Each group of changed tokens and its seam ring is decoded as a full
  // decode with the anchor's normalisation gives it, computing only what it depends on.
  torch::Tensor decode_band(const torch::Tensor &tokens, const torch::Tensor &band,
                            const torch::Tensor &previous) {
    const int64_t scale = m().vae_scale_factor();
    const auto windows = video::windows_around(band, 1);
    auto &norms = anchors.decoder_norms();
    torch::Tensor fresh;
    if (windows.empty() || !norms.recorded() || !m().vqvae()->decodes_regions()) {
      fresh = decode(tokens, true);
    } else {
      fresh = previous.clone();
      for (const auto &w : windows)
        video::paste(fresh, pipeline::decode_token_region(m(), tokens, &norms, w), w, scale);
    }
    return video::blend_region(previous, fresh, band, scale);
  }

  // Samples the cells of `latents` [1,h,w] that hold the mask token: on the whole grid, or
  // window by window when windows are given (one random stream for the frame, in order).
  torch::Tensor sample(const GenerateParams &g, const torch::Tensor &latents, int steps,
                       bool partial, CrossFrameAttention cfa, int64_t width_px, int64_t height_px,
                       const RunControl &control, FrameStats &stats,
                       const std::vector<video::TokenWindow> &windows = {}) {
    auto cond = pipeline::make_conditioning(m(), g, 1, width_px, height_px, &text_cache);
    sampling::AmusedScheduler scheduler(m().scheduler_config());
    if (partial) scheduler.set_masking_schedule(sampling::MaskSchedule::kLinear);
    scheduler.set_timesteps(steps, g.temperature_start, g.temperature_end);
    auto generator = pipeline::make_generator(g.seed + static_cast<uint64_t>(index));

    std::vector<video::LayerKeyValues> extra;
    if (cfa != CrossFrameAttention::kNone && anchors.has_anchor())
      extra = anchors.extras(cfa, cond.cfg ? 2 : 1);
    std::vector<video::LayerKeyValues> records;
    auto run = [&](const torch::Tensor &cells) {
      transformer::SelfAttentionHooks hooks;
      video::LayerKeyValues record;
      if (cfa != CrossFrameAttention::kNone) {
        hooks.record = &record;
        if (!extra.empty()) hooks.extra = &extra;
      }
      pipeline::LoopOptions options;
      options.hooks = &hooks;
      if (partial) {
        auto masked = (cells == mask_id()).sum();
        options.starting_mask_ratio = masked / static_cast<double>(cells.numel());
      }
      auto result = pipeline::run_steps(m(), cond, cells, scheduler, generator, control, options);
      records.push_back(std::move(record));
      return result;
    };
    torch::Tensor result;
    if (windows.empty()) {
      result = run(latents);
    } else {
      result = latents.clone();
      for (const auto &window : windows)
        video::paste(result, run(video::crop(latents, window)), window);
    }
    stats.steps_run += steps;
    anchors.remember(video::concatenate_tokens(std::move(records)));
    return result;
  }

  Frame generate(const VideoParams &params, const RunControl &control);
  Frame restyle(const Image &source, const StylizeParams &params, const RunControl &control);
};

Frame VideoSession::State::generate(const VideoParams &params, const RunControl &control) {
  const auto start = std::chrono::steady_clock::now();
  const GenerateParams &g = params.generate;
  const ConsistencyParams &c = params.consistency;
  const int width = g.width ? g.width : static_cast<int>(m().native_size());
  const int height = g.height ? g.height : static_cast<int>(m().native_size());
  check_size(m(), width, height);
  check_consistency(c);
  if (g.steps < 1) throw Error("steps must be at least 1, got " + std::to_string(g.steps));
  if (!(params.motion_speed >= 0.0))
    throw Error("motion-speed must be >= 0, got " + std::to_string(params.motion_speed));

  const int64_t scale = m().vae_scale_factor();
  const int64_t rows = height / scale, cols = width / scale;
  const int64_t canvas_w = (cols + 2 * kMargin) * scale, canvas_h = (rows + 2 * kMargin) * scale;

  Frame frame;
  FrameStats &stats = frame.stats;
  stats.index = index;
  stats.work_size = {width, height};
  const bool new_anchor = !same_anchor(g, width, height) || !generated;
  if (new_anchor) {
    adopt_anchor(g, width, height);
    restyled.reset();
    generated.emplace();
    generated->camera.restart(params.camera_motion);
  }
  GeneratedStream &s = *generated;
  s.camera.follow(params.camera_motion);

  if (new_anchor || !c.reuse_tokens) {
    auto latents = torch::full({1, rows + 2 * kMargin, cols + 2 * kMargin}, mask_id(),
                               torch::TensorOptions().dtype(torch::kLong).device(m().device()));
    s.canvas = sample(g, latents, g.steps, false, c.cross_frame_attention, canvas_w, canvas_h,
                      control, stats);
    s.canvas_pixels = torch::Tensor();
    stats.keyframe = true;
    stats.tokens_regenerated = static_cast<int>(latents.numel());
  } else {
    auto revealed = torch::zeros_like(s.canvas, s.canvas.options().dtype(torch::kBool));
    const video::CameraAdvance advance = s.camera.advance(params.motion_speed, scale);
    for (const video::TokenMove &move : advance.moves) {
      torch::Tensor entered;
      s.canvas = video::shift_grid(s.canvas, move.dx, move.dy, mask_id(), &entered);
      revealed =
          video::shift_grid(revealed, move.dx, move.dy, 0, nullptr).to(torch::kBool) | entered;
      if (s.canvas_pixels.defined())
        s.canvas_pixels = video::shift_image(s.canvas_pixels, move.dx * scale, move.dy * scale);
    }
    if (advance.zoom_step) {
      // Resample the canvas in pixel space by one token per side and re-encode it.
      if (!s.canvas_pixels.defined()) s.canvas_pixels = decode(s.canvas, c.reuse_tokens);
      const auto &px = s.canvas_pixels;
      if (params.camera_motion == CameraMotion::kZoomIn) {
        auto inner = px.index(
            {Slice(), Slice(), Slice(scale, canvas_h - scale), Slice(scale, canvas_w - scale)});
        s.canvas = pipeline::encode_to_tokens(
            m(), torch::upsample_bilinear2d(inner, {canvas_h, canvas_w}, false));
      } else {
        auto shrunk =
            torch::upsample_bilinear2d(px, {canvas_h - 2 * scale, canvas_w - 2 * scale}, false);
        auto tokens = pipeline::encode_to_tokens(
            m(), torch::constant_pad_nd(shrunk, {scale, scale, scale, scale}, 0));
        auto ring = torch::ones_like(revealed);
        ring.index_put_({Slice(), Slice(1, -1), Slice(1, -1)}, false);
        s.canvas = tokens.masked_fill(ring, mask_id());
        revealed |= ring;
      }
      s.canvas_pixels = torch::Tensor();
    }
    const video::RemaskPlan plan = video::plan_generated_frame(
        revealed, index, {params.keyframe_interval, params.refresh_fraction}, g.seed,
        c.remask_boundary, g.steps, params.min_steps);
    stats.keyframe = plan.keyframe;
    if (plan.count > 0) {
      auto latents = s.canvas.masked_fill(plan.mask, mask_id());
      s.canvas = sample(g, latents, plan.steps, true, c.cross_frame_attention, canvas_w, canvas_h,
                        control, stats, transformer_windows(plan.mask));
      // Kept tokens keep their pixels: only the regenerated band (blended over one more
      // token) takes the new decode, so the background does not shimmer with the decoder's
      // wide receptive field.
      s.canvas_pixels = s.canvas_pixels.defined()
                            ? decode_band(s.canvas, plan.mask, s.canvas_pixels)
                            : decode(s.canvas, true);
    }
    stats.tokens_regenerated = static_cast<int>(plan.count);
  }
  stats.tokens_total = static_cast<int>(s.canvas.numel());

  if (!s.canvas_pixels.defined()) s.canvas_pixels = decode(s.canvas, c.reuse_tokens);
  const video::ViewRect v = s.camera.view(kMargin * scale, width, height);
  torch::Tensor view = s.canvas_pixels.index(
      {Slice(), Slice(), Slice(v.top, v.top + v.height), Slice(v.left, v.left + v.width)});
  if (v.resample) view = torch::upsample_bilinear2d(view, {height, width}, false).clamp(0, 1);
  stats.camera_x = s.camera.x(scale);
  stats.camera_y = s.camera.y(scale);
  frame.image = pixels::tensor_to_image(view[0]);
  frame.tokens = pipeline::tensor_to_grid(
      s.canvas.index({0, Slice(kMargin, kMargin + rows), Slice(kMargin, kMargin + cols)}));
  stats.seconds = seconds_since(start);
  ++index;
  return frame;
}

Frame VideoSession::State::restyle(const Image &source, const StylizeParams &params,
                                   const RunControl &control) {
  const auto start = std::chrono::steady_clock::now();
  const GenerateParams &g = params.generate;
  const ConsistencyParams &c = params.consistency;
  check_consistency(c);
  if (!(params.strength >= 0.0 && params.strength <= 1.0))
    throw Error("strength must be between 0 and 1, got " + std::to_string(params.strength));
  if (!(params.change_threshold >= 0.0 && params.change_threshold <= 1.0))
    throw Error("change-threshold must be between 0 and 1, got " +
                std::to_string(params.change_threshold));
  if (source.channels != 3)
    throw Error("stylize source must be RGB, got " + std::to_string(source.channels) + " channels");
  const Size work = fit_size(m(), source.width, source.height, params.work_scale);
  const int64_t scale = m().vae_scale_factor();
  const int64_t rows = work.height / scale, cols = work.width / scale;
  const bool resized = work.width != source.width || work.height != source.height;

  Frame frame;
  FrameStats &stats = frame.stats;
  stats.index = index;
  stats.work_size = work;
  auto src_full = pipeline::rgb_to_batch(m(), source);
  auto src = resized ? pixels::resample(src_full, work.height, work.width) : src_full;
  auto src_tokens = pipeline::encode_to_tokens(m(), src);

  // Optional region: tokens are regenerated only where most of their pixels are masked.
  torch::Tensor allowed = torch::ones({1, rows, cols}, src_tokens.options().dtype(torch::kBool));
  Image mask_at_source;
  if (!params.mask.empty()) {
    auto mask = pixels::mask_to_tensor(params.mask).to(m().device());
    auto at_work = pixels::resample(mask, work.height, work.width);
    allowed = (torch::adaptive_avg_pool2d(at_work, {rows, cols}).squeeze(1) >= 0.5f);
    mask_at_source =
        params.mask.width == source.width && params.mask.height == source.height
            ? params.mask
            : pixels::tensor_to_image(pixels::resample(mask, source.height, source.width)[0]);
  }

  bool new_anchor = !same_anchor(g, work.width, work.height) || !restyled;
  torch::Tensor changed;
  if (!new_anchor) {
    changed =
        video::per_token_change(src, restyled->previous_source, scale) > params.change_threshold;
    const double fraction = changed.to(torch::kFloat32).mean().item<double>();
    if (fraction > params.scene_cut_fraction) new_anchor = true;  // a cut: start over
  }
  if (new_anchor) {
    adopt_anchor(g, work.width, work.height);
    generated.reset();
    restyled.emplace();
  }
  const bool full_frame = new_anchor || !c.reuse_tokens;
  const video::RemaskPlan plan =
      video::plan_restyled_frame(full_frame ? torch::Tensor() : changed, allowed, params.strength,
                                 g.seed, index, c.remask_boundary, g.steps);
  stats.keyframe = plan.keyframe;
  torch::Tensor tokens =
      full_frame ? src_tokens : torch::where(plan.region, src_tokens, restyled->previous_tokens);
  if (plan.count > 0) {
    auto latents = tokens.masked_fill(plan.mask, mask_id());
    tokens = sample(
        g, latents, plan.steps, true, c.cross_frame_attention, work.width, work.height, control,
        stats, full_frame ? std::vector<video::TokenWindow>() : transformer_windows(plan.mask));
  }
  stats.tokens_regenerated = static_cast<int>(plan.count);
  stats.tokens_total = static_cast<int>(tokens.numel());
  // Pixels: a keyframe decodes whole; later frames decode only where their tokens changed
  // (the source's new tokens, or regenerated ones) and keep the rest of the previous output.
  torch::Tensor image;
  if (full_frame || !restyled->previous_pixels.defined()) {
    image = decode(tokens, c.reuse_tokens);
  } else {
    const auto changed_tokens = tokens != restyled->previous_tokens;
    image = changed_tokens.any().item<bool>()
                ? decode_band(tokens, changed_tokens, restyled->previous_pixels)
                : restyled->previous_pixels;
  }
  restyled->previous_tokens = tokens;
  restyled->previous_source = src;
  restyled->previous_pixels = image;
  if (resized) image = pixels::resample(image, source.height, source.width).clamp(0, 1);
  frame.image = pixels::tensor_to_image(image[0]);
  // Outside the mask the output is the source, pixel for pixel, whatever the scaling did.
  if (!mask_at_source.empty())
    frame.image = pixels::blend_with_mask(source, frame.image, mask_at_source);
  frame.tokens = pipeline::tensor_to_grid(tokens[0]);
  stats.seconds = seconds_since(start);
  ++index;
  return frame;
}

VideoSession::VideoSession(std::shared_ptr<const Model> model) : state_(std::make_unique<State>()) {
  if (!model) throw Error("VideoSession: no model");
  state_->model = std::move(model);
}

VideoSession::~VideoSession() = default;

void VideoSession::reset() {
  auto model = state_->model;
  state_ = std::make_unique<State>();
  state_->model = std::move(model);
}

int64_t VideoSession::frames() const { return state_->index; }
const Model &VideoSession::model() const { return *state_->model; }

Frame VideoSession::generate_next(const VideoParams &params, const RunControl &control) {
  torch::InferenceMode guard;
  ThreadScope threads(control.threads);
  return state_->generate(params, control);
}

Frame VideoSession::stylize_next(const Image &source, const StylizeParams &params,
                                 const RunControl &control) {
  torch::InferenceMode guard;
  ThreadScope threads(control.threads);
  return state_->restyle(source, params, control);
}

}  // namespace amused
