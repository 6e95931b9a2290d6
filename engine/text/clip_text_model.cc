#include "text/clip_text_model.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "amused.h"

namespace amused::text {

ClipTextConfig ClipTextConfig::from_json(const checkpoint::JsonConfig &j) {
  ClipTextConfig c;
  c.vocab_size = j.get_int("vocab_size");
  c.hidden_size = j.get_int("hidden_size");
  c.intermediate_size = j.get_int("intermediate_size");
  c.projection_dim = j.get_int("projection_dim");
  c.num_hidden_layers = j.get_int("num_hidden_layers");
  c.num_attention_heads = j.get_int("num_attention_heads");
  c.max_position_embeddings = j.get_int("max_position_embeddings");
  c.hidden_act = j.get_string("hidden_act", "quick_gelu");
  c.layer_norm_eps = j.get_double("layer_norm_eps", 1e-5);
  c.eos_token_id = j.get_int("eos_token_id", 2);
  if (c.hidden_act != "quick_gelu" && c.hidden_act != "gelu")
    throw Error(j.describe("hidden_act", "unsupported activation '" + c.hidden_act + "'"));
  if (c.num_hidden_layers < 2)
    throw Error(j.describe("num_hidden_layers",
                           "aMUSEd needs at least 2 layers (it reads "
                           "the second-to-last hidden state)"));
  if (c.num_attention_heads <= 0 || c.hidden_size % c.num_attention_heads != 0)
    throw Error(j.describe("num_attention_heads",
                           "must divide hidden_size " + std::to_string(c.hidden_size)));
  return c;
}

nlohmann::json ClipTextConfig::to_json() const {
  return {{"architectures", {"CLIPTextModelWithProjection"}},
          {"model_type", "clip_text_model"},
          {"vocab_size", vocab_size},
          {"hidden_size", hidden_size},
          {"intermediate_size", intermediate_size},
          {"projection_dim", projection_dim},
          {"num_hidden_layers", num_hidden_layers},
          {"num_attention_heads", num_attention_heads},
          {"max_position_embeddings", max_position_embeddings},
          {"hidden_act", hidden_act},
          {"layer_norm_eps", layer_norm_eps},
          {"attention_dropout", 0.0},
          {"dropout", 0.0},
          {"initializer_factor", 1.0},
          {"initializer_range", 0.02},
          {"bos_token_id", 49406},
          {"eos_token_id", eos_token_id},
          {"pad_token_id", 49407},
          {"torch_dtype", "float32"}};
}

ClipAttentionImpl::ClipAttentionImpl(int64_t dim, int64_t heads) : heads_(heads) {
  q_proj = register_module("q_proj", nn::Linear(dim, dim, true));
  k_proj = register_module("k_proj", nn::Linear(dim, dim, true));
  v_proj = register_module("v_proj", nn::Linear(dim, dim, true));
  out_proj = register_module("out_proj", nn::Linear(dim, dim, true));
}

torch::Tensor ClipAttentionImpl::forward(const torch::Tensor &x, const torch::Tensor &causal_mask) {
  const auto b = x.size(0), s = x.size(1), d = x.size(2), hd = d / heads_;
  auto split = [&](const torch::Tensor &t) { return t.view({b, s, heads_, hd}).transpose(1, 2); };
  auto q = split(q_proj(x) * (1.0 / std::sqrt(static_cast<double>(hd))));
  auto k = split(k_proj(x));
  auto v = split(v_proj(x));
  auto probs = (torch::matmul(q, k.transpose(-1, -2)) + causal_mask).softmax(-1);
  return out_proj(torch::matmul(probs, v).transpose(1, 2).reshape({b, s, d}));
}

ClipMlpImpl::ClipMlpImpl(int64_t dim, int64_t inner, std::string act) : act_(std::move(act)) {
  fc1 = register_module("fc1", nn::Linear(dim, inner, true));
  fc2 = register_module("fc2", nn::Linear(inner, dim, true));
}

torch::Tensor ClipMlpImpl::forward(const torch::Tensor &x) {
  auto h = fc1(x);
  h = act_ == "quick_gelu" ? h * torch::sigmoid(1.702 * h) : torch::gelu(h);
  return fc2(h);
}

ClipEncoderLayerImpl::ClipEncoderLayerImpl(const ClipTextConfig &c) {
  self_attn = register_module("self_attn", ClipAttention(c.hidden_size, c.num_attention_heads));
  layer_norm1 =
      register_module("layer_norm1", nn::LayerNorm(c.hidden_size, c.layer_norm_eps, true, true));
  mlp = register_module("mlp", ClipMlp(c.hidden_size, c.intermediate_size, c.hidden_act));
  layer_norm2 =
      register_module("layer_norm2", nn::LayerNorm(c.hidden_size, c.layer_norm_eps, true, true));
}

torch::Tensor ClipEncoderLayerImpl::forward(const torch::Tensor &x, const torch::Tensor &mask) {
  auto h = x + self_attn(layer_norm1(x), mask);
  return h + mlp(layer_norm2(h));
}

ClipEncoderImpl::ClipEncoderImpl(const ClipTextConfig &c) {
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) layers->push_back(ClipEncoderLayer(c));
}

ClipEmbeddingsImpl::ClipEmbeddingsImpl(const ClipTextConfig &c) {
  token_embedding = register_module("token_embedding", nn::Embedding(c.vocab_size, c.hidden_size));
  position_embedding = register_module("position_embedding",
                                       nn::Embedding(c.max_position_embeddings, c.hidden_size));
}

torch::Tensor ClipEmbeddingsImpl::forward(const torch::Tensor &input_ids) {
  auto positions = torch::arange(input_ids.size(1), input_ids.options().dtype(torch::kLong));
  return token_embedding(input_ids) + position_embedding(positions).unsqueeze(0);
}

ClipTextTransformerImpl::ClipTextTransformerImpl(const ClipTextConfig &c) {
  embeddings = register_module("embeddings", ClipEmbeddings(c));
  encoder = register_module("encoder", ClipEncoder(c));
  final_layer_norm = register_module("final_layer_norm",
                                     nn::LayerNorm(c.hidden_size, c.layer_norm_eps, true, true));
}

ClipTextModelWithProjectionImpl::ClipTextModelWithProjectionImpl(const ClipTextConfig &c)
    : config_(c) {
  text_model = register_module("text_model", ClipTextTransformer(c));
  text_projection =
      register_module("text_projection", nn::Linear(c.hidden_size, c.projection_dim, false));
}

ClipTextOutput ClipTextModelWithProjectionImpl::forward(const torch::Tensor &input_ids) {
  const auto seq = input_ids.size(1);
  if (seq > config_.max_position_embeddings)
    throw Error("text encoder: " + std::to_string(seq) + " tokens exceed max_position_embeddings " +
                std::to_string(config_.max_position_embeddings));
  auto h = text_model->embeddings(input_ids);
  auto mask = torch::full({seq, seq}, -std::numeric_limits<float>::infinity(), h.options())
                  .triu(1);  // a token sees itself and what precedes it
  ClipTextOutput out;
  auto &layers = *text_model->encoder->layers;
  for (size_t i = 0; i < layers.size(); ++i) {
    if (i + 1 == layers.size()) out.penultimate = h;
    h = layers[i]->as<ClipEncoderLayerImpl>()->forward(h, mask);
  }
  out.last_hidden_state = text_model->final_layer_norm(h);
  // transformers' pooling: the legacy configs (eos_token_id == 2) take the position of the
  // largest id (the first <|endoftext|>); newer ones the first position of eos_token_id.
  torch::Tensor eos_positions =
      config_.eos_token_id == 2 ? input_ids.argmax(-1)
                                : (input_ids == config_.eos_token_id).to(torch::kInt).argmax(-1);
  auto batch = torch::arange(input_ids.size(0), input_ids.options().dtype(torch::kLong));
  auto pooled = out.last_hidden_state.index({batch, eos_positions});
  out.text_embeds = text_projection(pooled);
  return out;
}

}  // namespace amused::text
