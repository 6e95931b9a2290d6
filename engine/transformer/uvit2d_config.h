// UVit2DModel's config.json, every field with the meaning and default diffusers gives it.
#pragma once

#include <nlohmann/json.hpp>

#include "checkpoint/json_config.h"

namespace amused::transformer {

struct UVit2DConfig {
  int64_t hidden_size = 1024;
  bool use_bias = false;
  int64_t cond_embed_dim = 768;
  int64_t micro_cond_encode_dim = 256;
  int64_t micro_cond_embed_dim = 1280;
  int64_t encoder_hidden_size = 768;
  int64_t vocab_size = 8256;
  int64_t codebook_size = 8192;
  int64_t in_channels = 768;
  int64_t block_out_channels = 768;
  int64_t num_res_blocks = 3;
  bool downsample = false;
  bool upsample = false;
  int64_t block_num_heads = 12;
  int64_t num_hidden_layers = 22;
  int64_t num_attention_heads = 16;
  int64_t intermediate_size = 2816;
  double layer_norm_eps = 1e-6;
  bool ln_elementwise_affine = true;
  int64_t sample_size = 64;

  static UVit2DConfig from_json(const checkpoint::JsonConfig &json);
  nlohmann::json to_json() const;
};

}  // namespace amused::transformer
