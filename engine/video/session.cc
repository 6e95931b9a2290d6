// VideoSession: consecutive frames that keep their background.
//
// Text to video keeps a token "canvas" one token larger than the frame on every side. The
// camera moves a view over it; when the view has moved a whole token the canvas shifts,
// and only the entering row/column plus a band of `remask_boundary` tokens is masked and
// sampled again (with fewer steps), attending to the anchor frame's keys/values. Every
// other token is kept bit for bit. Between whole-token moves the frame is the decoded
// canvas cropped at the sub-token offset, so motion is smooth at any speed without
// re-encoding pixels (which would drift) or repeating frames (which would stutter).
// Zooms resample the canvas in pixel space once per token of zoom and re-encode it.
//
// Stylization encodes each source frame; tokens whose source pixels did not change keep
// the previous stylized token, changed ones (plus a band) start from the source tokens
// and a `strength` fraction of them is re-masked and sampled again.
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>

#include "amused.h"
#include "pipeline/model.h"
#include "pipeline/sampling_loop.h"
#include "video/token_grid_ops.h"

namespace amused {

using torch::indexing::Slice;

const char *to_string(CrossFrameAttention mode) {
  switch (mode) {
    case CrossFrameAttention::kNone:
      return "none";
    case CrossFrameAttention::kFirst:
      return "first";
    case CrossFrameAttention::kFirstAndPrevious:
      return "first-and-previous";
  }
  return "?";
}

const char *to_string(CameraMotion motion) {
  switch (motion) {
    case CameraMotion::kNone:
      return "none";
    case CameraMotion::kPanLeft:
      return "pan-left";
    case CameraMotion::kPanRight:
      return "pan-right";
    case CameraMotion::kPanUp:
      return "pan-up";
    case CameraMotion::kPanDown:
      return "pan-down";
    case CameraMotion::kZoomIn:
      return "zoom-in";
    case CameraMotion::kZoomOut:
      return "zoom-out";
  }
  return "?";
}

namespace {

using KeyValues = std::vector<nn::KeyValue>;

bool is_pan(CameraMotion m) {
  return m == CameraMotion::kPanLeft || m == CameraMotion::kPanRight || m == CameraMotion::kPanUp ||
         m == CameraMotion::kPanDown;
}

// Keys/values recorded with one guidance layout used under another: the conditional half
// (second) stands for the frame when guidance is switched off.
nn::KeyValue match_batch(const nn::KeyValue &kv, int64_t batch) {
  const int64_t have = kv.key.size(0);
  if (have == batch) return kv;
  if (batch == 1) return {kv.key.narrow(0, have - 1, 1), kv.value.narrow(0, have - 1, 1)};
  return {kv.key.expand({batch, -1, -1, -1}), kv.value.expand({batch, -1, -1, -1})};
}

int partial_steps(int full_steps, double fraction, int min_steps) {
  const int n = static_cast<int>(std::ceil(full_steps * fraction));
  return std::clamp(n, std::min(std::max(min_steps, 1), full_steps), full_steps);
}

}  // namespace

struct VideoSession::State {
  std::shared_ptr<const Model> model;
  int64_t index = 0;
  // Identity of the current anchor: a change of any of these starts a new one.
  std::string prompt, negative_prompt;
  int width = 0, height = 0;
  KeyValues anchor_kv, previous_kv;
  std::vector<KeyValues> anchor_steps;  // per decoding step, with VideoParams::anchor_per_step
  nn::NormStats norm_stats;  // the anchor's decoder normalisation, reused with token reuse
  // Text to video.
  torch::Tensor canvas;                  // [1, rows + 2, cols + 2] token ids
  torch::Tensor canvas_pixels;           // decoded canvas, [1,3,*,*], undefined when stale
  double pan = 0.0;                      // accumulated sub-token pan, pixels
  int64_t shifted_x = 0, shifted_y = 0;  // whole-token camera moves since the anchor
  double zoom = 0.0;                     // accumulated sub-token zoom, pixels per side
  CameraMotion motion = CameraMotion::kNone;
  // Stylization.
  torch::Tensor previous_source;  // [1,3,H,W]
  torch::Tensor previous_tokens;  // [1,h,w]

  const Model &m() const { return *model; }
  int64_t mask_id() const { return m().scheduler_config().mask_token_id; }

  void adopt_anchor(const GenerateParams &g, int w, int h) {
    prompt = g.prompt;
    negative_prompt = g.negative_prompt;
    width = w;
    height = h;
    anchor_kv.clear();
    previous_kv.clear();
    anchor_steps.clear();
    norm_stats = nn::NormStats();
  }

  // Decodes with the anchor's normalisation when tokens are reused, so that kept tokens
  // decode to the same pixels in every frame; independent frames decode on their own.
  torch::Tensor decode(const torch::Tensor &tokens, bool reuse) {
    if (!reuse) return pipeline::decode_tokens(m(), tokens);
    if (!norm_stats.recorded()) {
      norm_stats.mode = nn::NormStats::Mode::kRecord;
      auto image = pipeline::decode_tokens(m(), tokens, &norm_stats);
      norm_stats.mode = nn::NormStats::Mode::kApply;
      return image;
    }
    return pipeline::decode_tokens(m(), tokens, &norm_stats);
  }

  // The extra keys/values of every layer for one frame: the anchor's (or one of its steps')
  // and, for first-and-previous, the previous frame's.
  std::vector<KeyValues> extras(const KeyValues &anchor, CrossFrameAttention cfa,
                                int64_t batch) const {
    std::vector<KeyValues> extra(anchor.size());
    for (size_t layer = 0; layer < anchor.size(); ++layer) {
      extra[layer].push_back(match_batch(anchor[layer], batch));
      if (cfa == CrossFrameAttention::kFirstAndPrevious && !previous_kv.empty() &&
          previous_kv[layer].key.data_ptr() != anchor_kv[layer].key.data_ptr())
        extra[layer].push_back(match_batch(previous_kv[layer], batch));
    }
    return extra;
  }

  // Samples the cells of `latents` [1,h,w] that hold the mask token.
  torch::Tensor sample(const GenerateParams &g, torch::Tensor latents, int steps, bool partial,
                       CrossFrameAttention cfa, bool per_step, int64_t width_px, int64_t height_px,
                       const RunControl &control, FrameStats &stats) {
    auto cond = pipeline::make_conditioning(m(), g, 1, width_px, height_px);
    sampling::AmusedScheduler scheduler(m().scheduler_config());
    if (partial) scheduler.set_masking_schedule(sampling::MaskSchedule::kLinear);
    scheduler.set_timesteps(steps, g.temperature_start, g.temperature_end);
    auto generator = pipeline::make_generator(g.seed + static_cast<uint64_t>(index));

    const int64_t batch = cond.cfg ? 2 : 1;
    const bool attend = cfa != CrossFrameAttention::kNone;
    const bool is_anchor = anchor_kv.empty();
    std::vector<KeyValues> extra, step_extra;
    transformer::SelfAttentionHooks hooks;
    KeyValues record;
    pipeline::LoopOptions options;
    if (attend) {
      hooks.record = &record;
      if (is_anchor && per_step) {
        // Keep every step's keys/values of the anchor.
        anchor_steps.assign(steps, {});
        options.before_step = [&](int64_t i, transformer::SelfAttentionHooks &h) {
          h.record = &anchor_steps[i];
        };
      } else if (!is_anchor && per_step && !anchor_steps.empty()) {
        // Step i of this frame's schedule attends to the anchor's step at the same point.
        options.before_step = [&](int64_t i, transformer::SelfAttentionHooks &h) {
          const auto n = static_cast<int64_t>(anchor_steps.size());
          const int64_t j = std::clamp<int64_t>(
              static_cast<int64_t>(std::lround(double(i + 1) * n / steps)) - 1, 0, n - 1);
          step_extra = extras(anchor_steps[j], cfa, batch);
          h.extra = &step_extra;
        };
      } else if (!is_anchor) {
        extra = extras(anchor_kv, cfa, batch);
        hooks.extra = &extra;
      }
    }
    options.hooks = &hooks;
    if (partial) {
      auto masked = (latents == mask_id()).sum();
      options.starting_mask_ratio = masked / static_cast<double>(latents.numel());
    }
    auto result = pipeline::run_steps(m(), cond, latents, scheduler, generator, control, options);
    stats.steps_run += steps;
    if (attend && is_anchor && per_step && !anchor_steps.empty()) record = anchor_steps.back();
    if (!record.empty()) {
      if (anchor_kv.empty()) anchor_kv = record;
      previous_kv = std::move(record);
    }
    return result;
  }

  // A random subset of cells, drawn from a generator of its own so the sampling stream of
  // the frame stays what it would be without the refresh.
  torch::Tensor random_cells(const torch::Tensor &like, double fraction, uint64_t seed) const {
    auto gen = pipeline::make_generator(seed * 0x9E3779B97F4A7C15ull + 0x5eedull + index);
    auto draw = torch::rand(like.sizes(), gen, torch::TensorOptions().dtype(torch::kFloat32));
    return (draw < fraction).to(like.device());
  }
};

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
  const auto start = std::chrono::steady_clock::now();
  State &s = *state_;
  const Model &model = s.m();
  const GenerateParams &g = params.generate;
  const int width = g.width ? g.width : static_cast<int>(model.native_size());
  const int height = g.height ? g.height : static_cast<int>(model.native_size());
  check_size(model, width, height);
  if (g.steps < 1) throw Error("steps must be at least 1, got " + std::to_string(g.steps));
  if (params.remask_boundary < 0)
    throw Error("remask-boundary must be >= 0, got " + std::to_string(params.remask_boundary));
  if (!(params.motion_speed >= 0.0))
    throw Error("motion-speed must be >= 0, got " + std::to_string(params.motion_speed));

  const int64_t scale = model.vae_scale_factor();
  const int64_t rows = height / scale, cols = width / scale;
  // One token of margin on every side holds what the camera is about to reveal; models
  // that halve the grid internally need even sizes, hence a margin of one on each side.
  const int64_t margin = 1;
  const int64_t canvas_w = (cols + 2 * margin) * scale, canvas_h = (rows + 2 * margin) * scale;

  Frame frame;
  FrameStats &stats = frame.stats;
  stats.index = s.index;
  const bool new_anchor = s.index == 0 || g.prompt != s.prompt ||
                          g.negative_prompt != s.negative_prompt || width != s.width ||
                          height != s.height || !s.canvas.defined();
  const bool full_frame = new_anchor || !params.reuse_tokens;
  if (new_anchor) s.adopt_anchor(g, width, height);
  if (new_anchor) s.shifted_x = s.shifted_y = 0;
  if (new_anchor || params.camera_motion != s.motion) {
    s.pan = 0.0;
    s.zoom = 0.0;
    s.motion = params.camera_motion;
  }

  torch::Tensor regen;
  if (full_frame) {
    auto latents = torch::full({1, rows + 2 * margin, cols + 2 * margin}, s.mask_id(),
                               torch::TensorOptions().dtype(torch::kLong).device(model.device()));
    s.canvas = s.sample(g, latents, g.steps, false, params.cross_frame_attention,
                        params.anchor_per_step, canvas_w, canvas_h, control, stats);
    s.canvas_pixels = torch::Tensor();
    stats.keyframe = true;
    stats.tokens_regenerated = static_cast<int>(latents.numel());
  } else {
    regen = torch::zeros_like(s.canvas, s.canvas.options().dtype(torch::kBool));
    if (is_pan(params.camera_motion)) {
      s.pan += params.motion_speed;
      while (s.pan >= scale) {
        s.pan -= scale;
        int dx = 0, dy = 0;
        switch (params.camera_motion) {
          case CameraMotion::kPanRight:
            dx = -1;
            break;  // content moves left
          case CameraMotion::kPanLeft:
            dx = 1;
            break;
          case CameraMotion::kPanDown:
            dy = -1;
            break;
          case CameraMotion::kPanUp:
            dy = 1;
            break;
          default:
            break;
        }
        s.shifted_x -= dx;
        s.shifted_y -= dy;
        torch::Tensor revealed;
        s.canvas = video::shift_grid(s.canvas, dx, dy, s.mask_id(), &revealed);
        regen = video::shift_grid(regen, dx, dy, 0, nullptr).to(torch::kBool) | revealed;
        if (s.canvas_pixels.defined())
          s.canvas_pixels = video::shift_image(s.canvas_pixels, dx * scale, dy * scale);
      }
    } else if (params.camera_motion == CameraMotion::kZoomIn ||
               params.camera_motion == CameraMotion::kZoomOut) {
      s.zoom += params.motion_speed;
      if (s.zoom >= scale) {
        s.zoom -= scale;
        // Resample the canvas in pixel space by one token per side and re-encode it.
        if (!s.canvas_pixels.defined()) s.canvas_pixels = s.decode(s.canvas, params.reuse_tokens);
        const auto &px = s.canvas_pixels;
        torch::Tensor resampled;
        if (params.camera_motion == CameraMotion::kZoomIn) {
          auto inner = px.index(
              {Slice(), Slice(), Slice(scale, canvas_h - scale), Slice(scale, canvas_w - scale)});
          resampled = torch::upsample_bilinear2d(inner, {canvas_h, canvas_w}, false);
          s.canvas = pipeline::encode_to_tokens(model, resampled);
        } else {
          auto shrunk =
              torch::upsample_bilinear2d(px, {canvas_h - 2 * scale, canvas_w - 2 * scale}, false);
          resampled = torch::constant_pad_nd(shrunk, {scale, scale, scale, scale}, 0);
          auto tokens = pipeline::encode_to_tokens(model, resampled);
          auto ring = torch::ones_like(regen);
          ring.index_put_({Slice(), Slice(1, -1), Slice(1, -1)}, false);
          s.canvas = tokens.masked_fill(ring, s.mask_id());
          regen |= ring;
        }
        s.canvas_pixels = torch::Tensor();
      }
    }
    if (params.keyframe_interval > 0 && s.index % params.keyframe_interval == 0) {
      regen |= s.random_cells(regen, params.refresh_fraction, g.seed);
      stats.keyframe = true;
    }
    auto band = video::dilate(regen, params.remask_boundary);
    const int64_t count = band.sum().item<int64_t>();
    if (count > 0) {
      auto latents = s.canvas.masked_fill(band, s.mask_id());
      const double fraction = static_cast<double>(count) / static_cast<double>(latents.numel());
      const int steps = partial_steps(g.steps, fraction, params.min_steps);
      s.canvas = s.sample(g, latents, steps, true, params.cross_frame_attention,
                          params.anchor_per_step, canvas_w, canvas_h, control, stats);
      // Kept tokens keep their pixels: only the regenerated band (blended over one more
      // token) takes the new decode, so the background does not shimmer with the decoder's
      // wide receptive field.
      auto fresh = s.decode(s.canvas, true);
      s.canvas_pixels = s.canvas_pixels.defined()
                            ? video::blend_region(s.canvas_pixels, fresh, band, scale)
                            : fresh;
    }
    stats.tokens_regenerated = static_cast<int>(count);
  }
  stats.tokens_total = static_cast<int>(s.canvas.numel());

  if (!s.canvas_pixels.defined()) s.canvas_pixels = s.decode(s.canvas, params.reuse_tokens);
  // The view: the frame rectangle inside the margin, moved by the sub-token pan or scaled
  // by the sub-token zoom.
  torch::Tensor view;
  const int64_t x0 = margin * scale, y0 = margin * scale;
  stats.camera_x = s.shifted_x * scale;
  stats.camera_y = s.shifted_y * scale;
  if (is_pan(s.motion)) {
    const int64_t off = static_cast<int64_t>(std::floor(s.pan));
    int64_t vx = x0, vy = y0;
    if (s.motion == CameraMotion::kPanRight) vx += off;
    if (s.motion == CameraMotion::kPanLeft) vx -= off;
    if (s.motion == CameraMotion::kPanDown) vy += off;
    if (s.motion == CameraMotion::kPanUp) vy -= off;
    stats.camera_x = s.shifted_x * scale + (vx - x0);
    stats.camera_y = s.shifted_y * scale + (vy - y0);
    view = s.canvas_pixels.index({Slice(), Slice(), Slice(vy, vy + height), Slice(vx, vx + width)});
  } else if ((s.motion == CameraMotion::kZoomIn || s.motion == CameraMotion::kZoomOut) &&
             s.zoom > 0) {
    const double zx = s.motion == CameraMotion::kZoomIn ? s.zoom : -s.zoom;
    const double zy = zx * height / width;
    const int64_t left = x0 + static_cast<int64_t>(std::lround(zx));
    const int64_t top = y0 + static_cast<int64_t>(std::lround(zy));
    const int64_t w = std::max<int64_t>(1, width - 2 * (left - x0)),
                  h = std::max<int64_t>(1, height - 2 * (top - y0));
    auto crop =
        s.canvas_pixels.index({Slice(), Slice(), Slice(top, top + h), Slice(left, left + w)});
    view = torch::upsample_bilinear2d(crop, {height, width}, false).clamp(0, 1);
  } else {
    view = s.canvas_pixels.index({Slice(), Slice(), Slice(y0, y0 + height), Slice(x0, x0 + width)});
  }
  frame.image = pipeline::tensor_to_image(view[0]);
  frame.tokens = pipeline::tensor_to_grid(
      s.canvas.index({0, Slice(margin, margin + rows), Slice(margin, margin + cols)}));
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ++s.index;
  return frame;
}

Frame VideoSession::stylize_next(const Image &source, const StylizeParams &params,
                                 const RunControl &control) {
  torch::InferenceMode guard;
  const auto start = std::chrono::steady_clock::now();
  State &s = *state_;
  const Model &model = s.m();
  const GenerateParams &g = params.generate;
  check_size(model, source.width, source.height);
  if (!(params.strength >= 0.0 && params.strength <= 1.0))
    throw Error("strength must be between 0 and 1, got " + std::to_string(params.strength));
  if (!(params.change_threshold >= 0.0 && params.change_threshold <= 1.0))
    throw Error("change-threshold must be between 0 and 1, got " +
                std::to_string(params.change_threshold));
  const int64_t scale = model.vae_scale_factor();
  const int64_t rows = source.height / scale, cols = source.width / scale;

  Frame frame;
  FrameStats &stats = frame.stats;
  stats.index = s.index;
  auto src = pipeline::image_to_tensor(source).unsqueeze(0).to(model.device());
  auto src_tokens = pipeline::encode_to_tokens(model, src);

  // Optional region: tokens are regenerated only where most of their pixels are masked.
  torch::Tensor allowed = torch::ones({1, rows, cols}, src_tokens.options().dtype(torch::kBool));
  torch::Tensor pixel_mask;
  if (!params.mask.empty()) {
    const Image &mk = params.mask;
    if (mk.channels != 1 || mk.width != source.width || mk.height != source.height)
      throw Error("stylize mask must be 1-channel " + std::to_string(source.width) + "x" +
                  std::to_string(source.height) + ", got " + std::to_string(mk.width) + "x" +
                  std::to_string(mk.height) + "x" + std::to_string(mk.channels));
    pixel_mask = torch::from_blob(const_cast<uint8_t *>(mk.pixels.data()),
                                  {1, 1, mk.height, mk.width}, torch::kUInt8)
                     .to(torch::kFloat32)
                     .div(255.0f)
                     .to(model.device());
    allowed = (torch::adaptive_avg_pool2d(pixel_mask, {rows, cols}).squeeze(1) >= 0.5f);
  }

  bool new_anchor = s.index == 0 || !s.previous_tokens.defined() || g.prompt != s.prompt ||
                    g.negative_prompt != s.negative_prompt || source.width != s.width ||
                    source.height != s.height;
  torch::Tensor changed;
  if (!new_anchor) {
    changed = video::per_token_change(src, s.previous_source, scale) > params.change_threshold;
    const double fraction = changed.to(torch::kFloat32).mean().item<double>();
    if (fraction > params.scene_cut_fraction) new_anchor = true;  // a cut: start over
  }
  if (new_anchor) s.adopt_anchor(g, source.width, source.height);
  const bool full_frame = new_anchor || !params.reuse_tokens;

  torch::Tensor region, base;
  if (full_frame) {
    region = allowed;
    base = src_tokens;
    stats.keyframe = true;
  } else {
    region = video::dilate(changed, params.remask_boundary) & allowed;
    base = torch::where(region, src_tokens, s.previous_tokens);
  }
  auto regen = region & s.random_cells(region, params.strength, g.seed);
  const int64_t count = params.strength > 0 ? regen.sum().item<int64_t>() : 0;
  torch::Tensor tokens = base;
  if (count > 0) {
    auto latents = base.masked_fill(regen, s.mask_id());
    const double fraction = static_cast<double>(count) / static_cast<double>(latents.numel());
    const int steps = partial_steps(g.steps, full_frame ? params.strength : fraction, 3);
    tokens = s.sample(g, latents, steps, true, params.cross_frame_attention, false, source.width,
                      source.height, control, stats);
  }
  stats.tokens_regenerated = static_cast<int>(count);
  stats.tokens_total = static_cast<int>(tokens.numel());
  s.previous_tokens = tokens;
  s.previous_source = src;

  auto image = s.decode(tokens, params.reuse_tokens);
  if (pixel_mask.defined()) image = image * pixel_mask + src * (1 - pixel_mask);
  frame.image = pipeline::tensor_to_image(image[0]);
  frame.tokens = pipeline::tensor_to_grid(tokens[0]);
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ++s.index;
  return frame;
}

}  // namespace amused
