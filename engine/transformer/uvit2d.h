// diffusers' UVit2DModel: token embedding, conv/attention block (optionally halving the
// grid), the transformer layers with adaptive norms, the mirrored block and the MLM head.
#pragma once

#include <torch/nn/modules/container/modulelist.h>

#include "transformer/uvit_blocks.h"

namespace amused::transformer {

class UVit2DModelImpl : public torch::nn::Module {
 public:
  explicit UVit2DModelImpl(const UVit2DConfig &config);

  // input_ids [B,h,w] (codes and mask tokens), encoder_hidden_states [B,T,encoder_hidden],
  // pooled_text_emb [B,cond_embed_dim], micro_conds [B,5] -> logits [B,codebook,h,w].
  // `text`, when given, keeps what the text alone determines for the next passes with the
  // same text (the steps of one generation).
  torch::Tensor forward(const torch::Tensor &input_ids, const torch::Tensor &encoder_hidden_states,
                        const torch::Tensor &pooled_text_emb, const torch::Tensor &micro_conds,
                        const SelfAttentionHooks &hooks = {}, TextContextCache *text = nullptr);

  const UVit2DConfig &config() const { return config_; }

  nn::Linear encoder_proj = nullptr;
  nn::RMSNorm encoder_proj_layer_norm = nullptr;
  UVit2DConvEmbed embed = nullptr;
  TimestepEmbedding cond_embed = nullptr;
  UVitBlock down_block = nullptr;
  nn::RMSNorm project_to_hidden_norm = nullptr;
  nn::Linear project_to_hidden = nullptr;
  torch::nn::ModuleList transformer_layers;
  nn::RMSNorm project_from_hidden_norm = nullptr;
  nn::Linear project_from_hidden = nullptr;
  UVitBlock up_block = nullptr;
  ConvMlmLayer mlm_layer = nullptr;

 private:
  UVit2DConfig config_;
};
TORCH_MODULE(UVit2DModel);

// diffusers' get_timestep_embedding(t, dim, flip_sin_to_cos=True, downscale_freq_shift=0).
torch::Tensor sinusoidal_embedding(const torch::Tensor &t, int64_t dim);

}  // namespace amused::transformer
