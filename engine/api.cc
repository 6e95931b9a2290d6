// The public functions of amused.h: argument checks and conversions around the tensor
// pipelines of pipeline/sampling_loop.h, mirroring diffusers' three aMUSEd pipelines.
#include <torch/torch.h>

#include <sstream>

#include "amused.h"
#include "pipeline/model.h"
#include "pipeline/sampling_loop.h"
#include "pixels/image_ops.h"
#include "util/thread_scope.h"

namespace amused {

std::shared_ptr<const Model> load_model(const std::filesystem::path &dir,
                                        const LoadOptions &options) {
  torch::InferenceMode guard;
  return Model::load(dir, options);
}

std::string GenerateParams::to_string() const {
  std::ostringstream s;
  s << "prompt=\"" << prompt << "\" negative_prompt=\"" << negative_prompt << "\" seed=" << seed
    << " steps=" << steps << " guidance_scale=";
  if (guidance_scale)
    s << *guidance_scale;
  else
    s << "model's";
  s << " size=" << width << "x" << height << " num_images=" << num_images
    << " aesthetic_score=" << aesthetic_score << " crop=(" << crop_top << "," << crop_left
    << ") temperature=(" << temperature_start << "," << temperature_end << ")";
  return s.str();
}

namespace {

struct Resolved {
  int width, height;
};

Resolved resolve(const Model &model, const GenerateParams &p) {
  if (p.steps < 1 || p.steps > 1000)
    throw Error("steps must be between 1 and 1000, got " + std::to_string(p.steps));
  if (p.num_images < 1 || p.num_images > 64)
    throw Error("num_images must be between 1 and 64, got " + std::to_string(p.num_images));
  if (p.guidance_scale && (!(*p.guidance_scale >= 0.0) || *p.guidance_scale > 100.0))
    throw Error("guidance_scale must be between 0 and 100, got " +
                std::to_string(*p.guidance_scale));
  Resolved r{p.width ? p.width : static_cast<int>(model.native_size()),
             p.height ? p.height : static_cast<int>(model.native_size())};
  check_size(model, r.width, r.height);
  return r;
}

sampling::AmusedScheduler make_scheduler(const Model &model, const GenerateParams &p) {
  sampling::AmusedScheduler s(model.scheduler_config());
  s.set_timesteps(p.steps, p.temperature_start, p.temperature_end);
  return s;
}

Result finish(const Model &model, const torch::Tensor &tokens) {
  Result r;
  auto images = pipeline::decode_tokens(model, tokens);
  for (int64_t i = 0; i < tokens.size(0); ++i) {
    r.tokens.push_back(pipeline::tensor_to_grid(tokens[i]));
    r.images.push_back(pixels::tensor_to_image(images[i]));
  }
  return r;
}

void check_strength(double strength) {
  if (!(strength >= 0.0 && strength <= 1.0))
    throw Error("strength must be between 0 and 1, got " + std::to_string(strength));
}

// img2img/inpaint take their size from the init image, as diffusers does.
Resolved resolve_with_image(const Model &model, GenerateParams p, const Image &init) {
  if (init.empty()) throw Error("init image is empty");
  if (p.width && p.width != init.width)
    throw Error("width " + std::to_string(p.width) + " differs from the init image's " +
                std::to_string(init.width));
  if (p.height && p.height != init.height)
    throw Error("height " + std::to_string(p.height) + " differs from the init image's " +
                std::to_string(init.height));
  p.width = init.width;
  p.height = init.height;
  return resolve(model, p);
}

}  // namespace

Result text_to_image(const Model &model, const GenerateParams &p, const RunControl &control) {
  torch::InferenceMode guard;
  ThreadScope threads(control.threads);
  const auto size = resolve(model, p);
  const int64_t scale = model.vae_scale_factor();
  auto cond = pipeline::make_conditioning(model, p, p.num_images, size.width, size.height);
  auto scheduler = make_scheduler(model, p);
  auto generator = pipeline::make_generator(p.seed);
  auto latents = torch::full({p.num_images, size.height / scale, size.width / scale},
                             model.scheduler_config().mask_token_id,
                             torch::TensorOptions().dtype(torch::kLong).device(model.device()));
  auto tokens = pipeline::run_steps(model, cond, latents, scheduler, generator, control);
  return finish(model, tokens);
}

Result image_to_image(const Model &model, const GenerateParams &p, const Image &init,
                      double strength, const RunControl &control) {
  torch::InferenceMode guard;
  ThreadScope threads(control.threads);
  check_strength(strength);
  const auto size = resolve_with_image(model, p, init);
  auto cond = pipeline::make_conditioning(model, p, p.num_images, size.width, size.height);
  auto scheduler = make_scheduler(model, p);
  auto generator = pipeline::make_generator(p.seed);
  const int64_t n = scheduler.num_steps();
  const int64_t run = static_cast<int64_t>(static_cast<double>(n) * strength);
  const int64_t start = n - run;
  auto tokens = pipeline::encode_to_tokens(model, pipeline::rgb_to_batch(model, init));
  // diffusers indexes timesteps[start - 1]; with strength 1 that wraps to the last timestep.
  const int64_t noise_index = start - 1 >= 0 ? start - 1 : n - 1;
  tokens = scheduler.add_noise(tokens, scheduler.timestep(noise_index), generator);
  tokens = tokens.repeat({p.num_images, 1, 1});
  pipeline::LoopOptions options;
  options.start_index = start;
  tokens = pipeline::run_steps(model, cond, tokens, scheduler, generator, control, options);
  return finish(model, tokens);
}

Result inpaint(const Model &model, const GenerateParams &p, const Image &init, const Image &mask,
               double strength, const RunControl &control) {
  torch::InferenceMode guard;
  ThreadScope threads(control.threads);
  check_strength(strength);
  const auto size = resolve_with_image(model, p, init);
  if (mask.channels != 1)
    throw Error("mask must have 1 channel, got " + std::to_string(mask.channels));
  const int64_t scale = model.vae_scale_factor();
  const int64_t gh = size.height / scale, gw = size.width / scale;
  const bool pixel_mask = mask.width == size.width && mask.height == size.height;
  const bool grid_mask = mask.width == gw && mask.height == gh;
  if (!pixel_mask && !grid_mask)
    throw Error("mask is " + std::to_string(mask.width) + "x" + std::to_string(mask.height) +
                ", expected the image size " + std::to_string(size.width) + "x" +
                std::to_string(size.height) + " or the token grid " + std::to_string(gw) + "x" +
                std::to_string(gh));
  auto m = torch::from_blob(const_cast<uint8_t *>(mask.pixels.data()),
                            {1, 1, mask.height, mask.width}, torch::kUInt8)
               .to(torch::kFloat32) /
           255.0f;
  // A token is repainted when at least half of its pixels are (diffusers resizes the mask
  // to the grid and binarises at 0.5).
  if (pixel_mask) m = torch::adaptive_avg_pool2d(m, {gh, gw});
  auto token_mask = (m.reshape({1, gh, gw}) >= 0.5f).to(model.device());

  auto cond = pipeline::make_conditioning(model, p, p.num_images, size.width, size.height);
  auto scheduler = make_scheduler(model, p);
  scheduler.set_masking_schedule(sampling::MaskSchedule::kLinear);
  auto generator = pipeline::make_generator(p.seed);
  const int64_t n = scheduler.num_steps();
  const int64_t start = n - static_cast<int64_t>(static_cast<double>(n) * strength);
  auto tokens = pipeline::encode_to_tokens(model, pipeline::rgb_to_batch(model, init));
  tokens = tokens.masked_fill(token_mask, model.scheduler_config().mask_token_id);
  pipeline::LoopOptions options;
  options.start_index = start;
  options.starting_mask_ratio = token_mask.sum() / static_cast<double>(tokens.numel());
  tokens = tokens.repeat({p.num_images, 1, 1});
  tokens = pipeline::run_steps(model, cond, tokens, scheduler, generator, control, options);
  return finish(model, tokens);
}

}  // namespace amused
