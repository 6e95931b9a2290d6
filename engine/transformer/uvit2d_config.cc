#include "transformer/uvit2d_config.h"

#include "amused.h"

namespace amused::transformer {

UVit2DConfig UVit2DConfig::from_json(const checkpoint::JsonConfig &j) {
  UVit2DConfig c;
  c.hidden_size = j.get_int("hidden_size");
  c.use_bias = j.get_bool("use_bias", false);
  c.cond_embed_dim = j.get_int("cond_embed_dim");
  c.micro_cond_encode_dim = j.get_int("micro_cond_encode_dim");
  c.micro_cond_embed_dim = j.get_int("micro_cond_embed_dim");
  c.encoder_hidden_size = j.get_int("encoder_hidden_size");
  c.vocab_size = j.get_int("vocab_size");
  c.codebook_size = j.get_int("codebook_size");
  c.in_channels = j.get_int("in_channels");
  c.block_out_channels = j.get_int("block_out_channels");
  c.num_res_blocks = j.get_int("num_res_blocks");
  c.downsample = j.get_bool("downsample", false);
  c.upsample = j.get_bool("upsample", false);
  c.block_num_heads = j.get_int("block_num_heads");
  c.num_hidden_layers = j.get_int("num_hidden_layers");
  c.num_attention_heads = j.get_int("num_attention_heads");
  c.intermediate_size = j.get_int("intermediate_size");
  c.layer_norm_eps = j.get_double("layer_norm_eps", 1e-6);
  c.ln_elementwise_affine = j.get_bool("ln_elementwise_affine", true);
  c.sample_size = j.get_int("sample_size");

  auto positive = [&](const char *key, int64_t v) {
    if (v <= 0) throw Error(j.describe(key, "must be positive, found " + std::to_string(v)));
  };
  for (auto [k, v] : {std::pair<const char *, int64_t>{"hidden_size", c.hidden_size},
                      {"vocab_size", c.vocab_size},
                      {"codebook_size", c.codebook_size},
                      {"in_channels", c.in_channels},
                      {"block_out_channels", c.block_out_channels},
                      {"block_num_heads", c.block_num_heads},
                      {"num_attention_heads", c.num_attention_heads},
                      {"intermediate_size", c.intermediate_size},
                      {"sample_size", c.sample_size},
                      {"micro_cond_encode_dim", c.micro_cond_encode_dim}})
    positive(k, v);
  if (c.hidden_size % c.num_attention_heads != 0)
    throw Error(j.describe("num_attention_heads",
                           "must divide hidden_size " + std::to_string(c.hidden_size)));
  if (c.block_out_channels % c.block_num_heads != 0)
    throw Error(j.describe("block_num_heads", "must divide block_out_channels " +
                                                  std::to_string(c.block_out_channels)));
  if (c.codebook_size >= c.vocab_size)
    throw Error(j.describe("vocab_size", "must exceed codebook_size (it holds the mask token)"));
  if (c.micro_cond_embed_dim != 5 * c.micro_cond_encode_dim)
    throw Error(j.describe("micro_cond_embed_dim",
                           "must be 5 x micro_cond_encode_dim (five micro-conditions), found " +
                               std::to_string(c.micro_cond_embed_dim)));
  if (c.downsample != c.upsample)
    throw Error(j.describe("upsample",
                           "downsample and upsample must be equal, or the output "
                           "token grid would not match the input"));
  return c;
}

nlohmann::json UVit2DConfig::to_json() const {
  return {{"_class_name", "UVit2DModel"},
          {"_diffusers_version", "0.27.2"},
          {"hidden_size", hidden_size},
          {"use_bias", use_bias},
          {"hidden_dropout", 0.0},
          {"cond_embed_dim", cond_embed_dim},
          {"micro_cond_encode_dim", micro_cond_encode_dim},
          {"micro_cond_embed_dim", micro_cond_embed_dim},
          {"encoder_hidden_size", encoder_hidden_size},
          {"vocab_size", vocab_size},
          {"codebook_size", codebook_size},
          {"in_channels", in_channels},
          {"block_out_channels", block_out_channels},
          {"num_res_blocks", num_res_blocks},
          {"downsample", downsample},
          {"upsample", upsample},
          {"block_num_heads", block_num_heads},
          {"num_hidden_layers", num_hidden_layers},
          {"num_attention_heads", num_attention_heads},
          {"attention_dropout", 0.0},
          {"intermediate_size", intermediate_size},
          {"layer_norm_eps", layer_norm_eps},
          {"ln_elementwise_affine", ln_elementwise_affine},
          {"sample_size", sample_size}};
}

}  // namespace amused::transformer
