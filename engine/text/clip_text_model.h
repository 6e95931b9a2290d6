// transformers' CLIPTextModelWithProjection, module for module (keys "text_model.*",
// "text_projection.weight"). The aMUSEd pipelines use hidden_states[-2] (the input of the
// last encoder layer, without the final layer norm) and the projected pooled output.
#pragma once

#include <torch/nn/modules/container/modulelist.h>

#include "checkpoint/json_config.h"
#include "nn/layers.h"

namespace amused::text {

struct ClipTextConfig {
  int64_t vocab_size = 49408;
  int64_t hidden_size = 768;
  int64_t intermediate_size = 3072;
  int64_t projection_dim = 768;
  int64_t num_hidden_layers = 12;
  int64_t num_attention_heads = 12;
  int64_t max_position_embeddings = 77;
  std::string hidden_act = "quick_gelu";
  double layer_norm_eps = 1e-5;
  int64_t eos_token_id = 2;

  static ClipTextConfig from_json(const checkpoint::JsonConfig &json);
  nlohmann::json to_json() const;
};

class ClipAttentionImpl : public torch::nn::Module {
 public:
  ClipAttentionImpl(int64_t dim, int64_t heads);
  torch::Tensor forward(const torch::Tensor &x, const torch::Tensor &causal_mask);
  nn::Linear q_proj = nullptr, k_proj = nullptr, v_proj = nullptr, out_proj = nullptr;

 private:
  int64_t heads_;
};
TORCH_MODULE(ClipAttention);

class ClipMlpImpl : public torch::nn::Module {
 public:
  ClipMlpImpl(int64_t dim, int64_t inner, std::string act);
  torch::Tensor forward(const torch::Tensor &x);
  nn::Linear fc1 = nullptr, fc2 = nullptr;

 private:
  std::string act_;
};
TORCH_MODULE(ClipMlp);

class ClipEncoderLayerImpl : public torch::nn::Module {
 public:
  explicit ClipEncoderLayerImpl(const ClipTextConfig &c);
  torch::Tensor forward(const torch::Tensor &x, const torch::Tensor &causal_mask);
  ClipAttention self_attn = nullptr;
  nn::LayerNorm layer_norm1 = nullptr, layer_norm2 = nullptr;
  ClipMlp mlp = nullptr;
};
TORCH_MODULE(ClipEncoderLayer);

class ClipEncoderImpl : public torch::nn::Module {
 public:
  explicit ClipEncoderImpl(const ClipTextConfig &c);
  torch::nn::ModuleList layers;
};
TORCH_MODULE(ClipEncoder);

class ClipEmbeddingsImpl : public torch::nn::Module {
 public:
  explicit ClipEmbeddingsImpl(const ClipTextConfig &c);
  torch::Tensor forward(const torch::Tensor &input_ids);
  nn::Embedding token_embedding = nullptr, position_embedding = nullptr;
};
TORCH_MODULE(ClipEmbeddings);

class ClipTextTransformerImpl : public torch::nn::Module {
 public:
  explicit ClipTextTransformerImpl(const ClipTextConfig &c);
  ClipEmbeddings embeddings = nullptr;
  ClipEncoder encoder = nullptr;
  nn::LayerNorm final_layer_norm = nullptr;
};
TORCH_MODULE(ClipTextTransformer);

struct ClipTextOutput {
  torch::Tensor penultimate;        // hidden_states[-2], [B, 77, hidden]
  torch::Tensor last_hidden_state;  // after final_layer_norm
  torch::Tensor text_embeds;        // pooled at eos and projected, [B, projection_dim]
};

class ClipTextModelWithProjectionImpl : public torch::nn::Module {
 public:
  explicit ClipTextModelWithProjectionImpl(const ClipTextConfig &c);
  ClipTextOutput forward(const torch::Tensor &input_ids);
  const ClipTextConfig &config() const { return config_; }

  ClipTextTransformer text_model = nullptr;
  nn::Linear text_projection = nullptr;

 private:
  ClipTextConfig config_;
};
TORCH_MODULE(ClipTextModelWithProjection);

}  // namespace amused::text
