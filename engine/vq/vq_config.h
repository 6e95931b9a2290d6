// VQModel's config.json.
#pragma once

#include <nlohmann/json.hpp>

#include <vector>

#include "checkpoint/json_config.h"

namespace amused::vq {

struct VQConfig {
  int64_t in_channels = 3;
  int64_t out_channels = 3;
  std::vector<int64_t> block_out_channels{128, 256, 256, 512, 768};
  int64_t layers_per_block = 2;
  int64_t latent_channels = 64;
  int64_t norm_num_groups = 32;
  int64_t num_vq_embeddings = 8192;
  int64_t vq_embed_dim = 64;  // = latent_channels when the config says null
  bool mid_block_add_attention = true;
  bool lookup_from_codebook = false;
  int64_t sample_size = 32;
  double scaling_factor = 0.18215;
  bool force_upcast = false;

  // Pixels per token edge: one downsampling per block but the last.
  int64_t scale_factor() const { return int64_t{1} << (block_out_channels.size() - 1); }

  static VQConfig from_json(const checkpoint::JsonConfig &json);
  nlohmann::json to_json() const;
};

}  // namespace amused::vq
