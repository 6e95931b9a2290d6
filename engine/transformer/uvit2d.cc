#include "transformer/uvit2d.h"

#include <torch/torch.h>

#include <cmath>

#include "amused.h"
#include "util/profiler.h"

namespace amused::transformer {

torch::Tensor sinusoidal_embedding(const torch::Tensor &t, int64_t dim) {
  const int64_t half = dim / 2;
  auto exponent = -std::log(10000.0) *
                  torch::arange(0, half, torch::TensorOptions().dtype(torch::kFloat32)) /
                  static_cast<double>(half);
  auto emb = t.unsqueeze(1).to(torch::kFloat32) * torch::exp(exponent).unsqueeze(0);
  emb = torch::cat({torch::cos(emb), torch::sin(emb)}, -1);  // flipped: cos first
  if (dim % 2 == 1) emb = torch::constant_pad_nd(emb, {0, 1, 0, 0}, 0);
  return emb;
}

UVit2DModelImpl::UVit2DModelImpl(const UVit2DConfig &c) : config_(c) {
  encoder_proj =
      register_module("encoder_proj", nn::Linear(c.encoder_hidden_size, c.hidden_size, c.use_bias));
  encoder_proj_layer_norm =
      register_module("encoder_proj_layer_norm",
                      nn::RMSNorm(c.hidden_size, c.layer_norm_eps, c.ln_elementwise_affine));
  embed = register_module("embed", UVit2DConvEmbed(c));
  cond_embed = register_module(
      "cond_embed",
      TimestepEmbedding(c.micro_cond_embed_dim + c.cond_embed_dim, c.hidden_size, c.use_bias));
  down_block = register_module("down_block", UVitBlock(c, c.downsample, false));
  project_to_hidden_norm =
      register_module("project_to_hidden_norm",
                      nn::RMSNorm(c.block_out_channels, c.layer_norm_eps, c.ln_elementwise_affine));
  project_to_hidden = register_module("project_to_hidden",
                                      nn::Linear(c.block_out_channels, c.hidden_size, c.use_bias));
  transformer_layers = register_module("transformer_layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i)
    transformer_layers->push_back(BasicTransformerBlock(c));
  project_from_hidden_norm =
      register_module("project_from_hidden_norm",
                      nn::RMSNorm(c.hidden_size, c.layer_norm_eps, c.ln_elementwise_affine));
  project_from_hidden = register_module(
      "project_from_hidden", nn::Linear(c.hidden_size, c.block_out_channels, c.use_bias));
  up_block = register_module("up_block", UVitBlock(c, false, c.upsample));
  mlm_layer = register_module("mlm_layer", ConvMlmLayer(c));
}

torch::Tensor UVit2DModelImpl::forward(const torch::Tensor &input_ids,
                                       const torch::Tensor &encoder_hidden_states_in,
                                       const torch::Tensor &pooled_text_emb,
                                       const torch::Tensor &micro_conds,
                                       const SelfAttentionHooks &hooks, TextContextCache *text) {
  ProfileScope scope("transformer: embedding and conditioning");
  if (text) text->start_pass();
  torch::Tensor encoder_hidden_states;
  if (text && text->text_states.defined()) {
    encoder_hidden_states = text->text_states;
  } else {
    encoder_hidden_states = encoder_proj_layer_norm(encoder_proj(encoder_hidden_states_in));
    if (text) text->text_states = encoder_hidden_states;
  }
  const auto batch = input_ids.size(0);
  torch::Tensor cond;
  if (text && text->condition.defined()) {
    cond = text->condition;
  } else {
    auto micro = sinusoidal_embedding(micro_conds.flatten(), config_.micro_cond_encode_dim)
                     .reshape({batch, -1});
    cond = cond_embed(torch::cat({pooled_text_emb, micro}, 1));
    if (text) text->condition = cond;
  }

  auto h = down_block->forward(embed(input_ids), cond, encoder_hidden_states, text);
  const auto ch = h.size(1), gh = h.size(2), gw = h.size(3);
  h = h.permute({0, 2, 3, 1}).reshape({batch, gh * gw, ch});
  h = project_to_hidden(project_to_hidden_norm(h));

  const size_t layers = transformer_layers->size();
  if (hooks.record) hooks.record->assign(layers, {});
  if (hooks.extra && hooks.extra->size() != layers)
    throw Error("cross-frame attention: cache has " + std::to_string(hooks.extra->size()) +
                " layers, the transformer " + std::to_string(layers));
  for (size_t i = 0; i < layers; ++i) {
    h = transformer_layers[i]->as<BasicTransformerBlockImpl>()->forward(
        h, encoder_hidden_states, cond, hooks.extra ? &(*hooks.extra)[i] : nullptr,
        hooks.record ? &(*hooks.record)[i] : nullptr, text);
  }

  h = project_from_hidden(project_from_hidden_norm(h));
  h = h.reshape({batch, gh, gw, ch}).permute({0, 3, 1, 2});
  h = up_block->forward(h, cond, encoder_hidden_states, text);
  return mlm_layer(h);
}

}  // namespace amused::transformer
