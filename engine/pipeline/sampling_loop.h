// The shared core of the three aMUSEd pipelines, on tensors: prompt encoding (cached),
// classifier-free guidance, the scheduler loop, VQ encode/decode and pixel conversion.
#pragma once

#include <ATen/core/Generator.h>
#include <torch/types.h>

#include <functional>
#include <vector>

#include "amused.h"
#include "pipeline/model.h"
#include "pipeline/text_cache.h"
#include "transformer/uvit_blocks.h"

namespace amused::pipeline {

// The text encoder's outputs for `prompt`, from `cache` when it has them (a video stream
// encodes each prompt once, not once per frame).
PromptEmbedding encode_prompt(const Model &model, const std::string &prompt,
                              TextCache *cache = nullptr);

struct Conditioning {
  torch::Tensor hidden;  // [B or 2B, 77, D]; with CFG the unconditional half comes first
  torch::Tensor pooled;  // [B or 2B, P]
  torch::Tensor micro;   // [B or 2B, 5]
  bool cfg = false;
  double guidance_scale = 1.0;
  // What the transformer derives from the text, computed by the first step and reused by
  // the next ones.
  std::shared_ptr<transformer::TextContextCache> text_cache =
      std::make_shared<transformer::TextContextCache>();
};

// Conditioning for `batch` images of one prompt, as the pipelines build it.
Conditioning make_conditioning(const Model &model, const GenerateParams &params, int64_t batch,
                               int64_t width, int64_t height, TextCache *cache = nullptr);

// Transformer logits for the token grid, guidance applied: [B, codebook, h, w].
torch::Tensor guided_logits(const Model &model, const Conditioning &cond,
                            const torch::Tensor &latents,
                            const transformer::SelfAttentionHooks &hooks = {});

struct LoopOptions {
  int64_t start_index = 0;                           // first scheduler step to run
  torch::Tensor starting_mask_ratio;                 // inpainting scales the schedule
  std::vector<torch::Tensor> *trajectory = nullptr;  // token grid after every step
  const transformer::SelfAttentionHooks *hooks = nullptr;
  // Called before each step with the step's index (0-based, from start_index) and the
  // hooks it will use, which it may change (per-step caches).
  std::function<void(int64_t step, transformer::SelfAttentionHooks &hooks)> before_step;
};

// Runs scheduler steps start_index..N-1 on `latents` and returns the final token grid.
torch::Tensor run_steps(const Model &model, const Conditioning &cond, torch::Tensor latents,
                        const sampling::AmusedScheduler &scheduler, at::Generator &generator,
                        const RunControl &control, const LoopOptions &options = {});

// Token grid [B,h,w] -> images in [0,1], [B,3,H,W] (clipped, as the pipelines return).
torch::Tensor decode_tokens(const Model &model, const torch::Tensor &tokens,
                            nn::NormStats *stats = nullptr);
// The pixels of the tokens in `wanted`, as decode_tokens with `stats` (applied) gives them,
// computing only what they depend on (VQModelImpl::decode_region).
torch::Tensor decode_token_region(const Model &model, const torch::Tensor &tokens,
                                  nn::NormStats *stats, const GridRect &wanted);
// Images in [0,1] [B,3,H,W] -> nearest-codebook token grid [B,h,w].
torch::Tensor encode_to_tokens(const Model &model, const torch::Tensor &images);

// An RGB image as float [1,3,H,W] in [0,1] on the model's device; throws Error for other
// channel counts.
torch::Tensor rgb_to_batch(const Model &model, const Image &image);
TokenGrid tensor_to_grid(const torch::Tensor &hw);

// The generator the reference creates with torch.Generator("cpu").manual_seed(seed).
at::Generator make_generator(uint64_t seed);

}  // namespace amused::pipeline
