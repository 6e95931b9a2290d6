#include "pipeline/sampling_loop.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "pixels/image_ops.h"
#include "util/profiler.h"

namespace amused::pipeline {

at::Generator make_generator(uint64_t seed) {
  return at::make_generator<at::CPUGeneratorImpl>(seed);
}

PromptEmbedding encode_prompt(const Model &model, const std::string &prompt, TextCache *cache) {
  PromptEmbedding e;
  if (cache && cache->find(prompt, e)) return e;
  ProfileScope scope("text encoder");
  auto ids = model.tokenizer().encode_padded(prompt);
  auto input = torch::tensor(ids, torch::kLong).unsqueeze(0).to(model.device());
  auto out = model.text_encoder()->forward(input);
  e.hidden = out.penultimate;
  e.pooled = out.text_embeds;
  if (cache) cache->insert(prompt, e);
  return e;
}

Conditioning make_conditioning(const Model &model, const GenerateParams &p, int64_t batch,
                               int64_t width, int64_t height, TextCache *cache) {
  Conditioning c;
  c.guidance_scale = p.guidance_scale.value_or(model.generation_defaults().guidance_scale);
  c.cfg = c.guidance_scale > 1.0;
  auto positive = encode_prompt(model, p.prompt, cache);
  c.hidden = positive.hidden.repeat({batch, 1, 1});
  c.pooled = positive.pooled.repeat({batch, 1});
  if (c.cfg) {
    auto negative = encode_prompt(model, p.negative_prompt, cache);
    c.hidden = torch::cat({negative.hidden.repeat({batch, 1, 1}), c.hidden});
    c.pooled = torch::cat({negative.pooled.repeat({batch, 1}), c.pooled});
  }
  c.micro = torch::tensor({static_cast<float>(width), static_cast<float>(height),
                           static_cast<float>(p.crop_top), static_cast<float>(p.crop_left),
                           static_cast<float>(p.aesthetic_score)},
                          torch::kFloat32)
                .unsqueeze(0)
                .expand({c.cfg ? 2 * batch : batch, -1})
                .to(model.device());
  return c;
}

torch::Tensor guided_logits(const Model &model, const Conditioning &cond,
                            const torch::Tensor &latents,
                            const transformer::SelfAttentionHooks &hooks) {
  auto input = cond.cfg ? torch::cat({latents, latents}) : latents;
  auto logits = model.transformer()->forward(input, cond.hidden, cond.pooled, cond.micro, hooks,
                                             cond.text_cache.get());
  if (!cond.cfg) return logits;
  ProfileScope scope("guidance");
  auto parts = logits.chunk(2);
  return parts[0] + cond.guidance_scale * (parts[1] - parts[0]);
}

torch::Tensor run_steps(const Model &model, const Conditioning &cond, torch::Tensor latents,
                        const sampling::AmusedScheduler &scheduler, at::Generator &generator,
                        const RunControl &control, const LoopOptions &options) {
  const int64_t n = scheduler.num_steps();
  for (int64_t i = options.start_index; i < n; ++i) {
    if (control.cancel && control.cancel->load()) throw Cancelled();
    transformer::SelfAttentionHooks hooks =
        options.hooks ? *options.hooks : transformer::SelfAttentionHooks{};
    if (options.before_step) options.before_step(i - options.start_index, hooks);
    auto logits = guided_logits(model, cond, latents, hooks);
    ProfileScope scope("scheduler");
    latents =
        scheduler
            .step(logits, scheduler.timestep(i), latents, generator, options.starting_mask_ratio)
            .prev_sample;
    if (options.trajectory) options.trajectory->push_back(latents);
    if (control.on_step)
      control.on_step(static_cast<int>(i - options.start_index + 1),
                      static_cast<int>(n - options.start_index));
  }
  return latents;
}

torch::Tensor decode_tokens(const Model &model, const torch::Tensor &tokens, nn::NormStats *stats) {
  ProfileScope scope("VQ decode");
  return model.vqvae()->decode_indices(tokens.to(model.device()), stats).clamp(0, 1);
}

torch::Tensor decode_token_region(const Model &model, const torch::Tensor &tokens,
                                  nn::NormStats *stats, const GridRect &wanted) {
  ProfileScope scope("VQ decode");
  return model.vqvae()->decode_region(tokens.to(model.device()), stats, wanted).clamp(0, 1);
}

torch::Tensor encode_to_tokens(const Model &model, const torch::Tensor &images) {
  ProfileScope scope("VQ encode");
  auto latents = model.vqvae()->encode(images.to(model.device()));
  return model.vqvae()->quantize->nearest_indices(latents);
}

torch::Tensor rgb_to_batch(const Model &model, const Image &image) {
  if (image.channels != 3)
    throw Error("expected an RGB image, got " + std::to_string(image.channels) + " channels");
  return pixels::image_to_tensor(image).unsqueeze(0).to(model.device());
}

TokenGrid tensor_to_grid(const torch::Tensor &hw) {
  auto t = hw.to(torch::kCPU, torch::kLong).contiguous();
  TokenGrid g;
  g.rows = static_cast<int>(t.size(0));
  g.cols = static_cast<int>(t.size(1));
  g.ids.assign(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel());
  return g;
}

}  // namespace amused::pipeline
