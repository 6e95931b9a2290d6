#include "pipeline/sampling_loop.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

namespace amused::pipeline {

at::Generator make_generator(uint64_t seed) {
  return at::make_generator<at::CPUGeneratorImpl>(seed);
}

PromptEmbedding encode_prompt(const Model &model, const std::string &prompt) {
  PromptEmbedding e;
  if (model.text_cache().find(prompt, e)) return e;
  auto ids = model.tokenizer().encode_padded(prompt);
  auto input = torch::tensor(ids, torch::kLong).unsqueeze(0).to(model.device());
  auto out = model.text_encoder()->forward(input);
  e.hidden = out.penultimate;
  e.pooled = out.text_embeds;
  model.text_cache().insert(prompt, e);
  return e;
}

Conditioning make_conditioning(const Model &model, const GenerateParams &p, int64_t batch,
                               int64_t width, int64_t height) {
  Conditioning c;
  c.guidance_scale = p.guidance_scale.value_or(model.generation_defaults().guidance_scale);
  c.cfg = c.guidance_scale > 1.0;
  auto positive = encode_prompt(model, p.prompt);
  c.hidden = positive.hidden.repeat({batch, 1, 1});
  c.pooled = positive.pooled.repeat({batch, 1});
  if (c.cfg) {
    auto negative = encode_prompt(model, p.negative_prompt);
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
  auto logits = model.transformer()->forward(input, cond.hidden, cond.pooled, cond.micro, hooks);
  if (!cond.cfg) return logits;
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
  return model.vqvae()->decode_indices(tokens.to(model.device()), stats).clamp(0, 1);
}

torch::Tensor encode_to_tokens(const Model &model, const torch::Tensor &images) {
  auto latents = model.vqvae()->encode(images.to(model.device()));
  return model.vqvae()->quantize->nearest_indices(latents);
}

torch::Tensor image_to_tensor(const Image &image) {
  if (image.channels != 3)
    throw Error("expected an RGB image, got " + std::to_string(image.channels) + " channels");
  if (image.pixels.size() != static_cast<size_t>(image.width) * image.height * 3)
    throw Error("image buffer size does not match " + std::to_string(image.width) + "x" +
                std::to_string(image.height));
  auto t = torch::from_blob(const_cast<uint8_t *>(image.pixels.data()),
                            {image.height, image.width, 3}, torch::kUInt8);
  return (t.to(torch::kFloat32) / 255.0f).permute({2, 0, 1}).contiguous();
}

Image tensor_to_image(const torch::Tensor &chw) {
  auto u8 = (chw.to(torch::kCPU, torch::kFloat32).permute({1, 2, 0}) * 255.0f)
                .round()
                .clamp(0, 255)
                .to(torch::kUInt8)
                .contiguous();
  Image img;
  img.height = static_cast<int>(u8.size(0));
  img.width = static_cast<int>(u8.size(1));
  img.channels = 3;
  img.pixels.assign(u8.data_ptr<uint8_t>(), u8.data_ptr<uint8_t>() + u8.numel());
  return img;
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
