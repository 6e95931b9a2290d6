#include "vq/vq_config.h"

#include "amused.h"

namespace amused::vq {

VQConfig VQConfig::from_json(const checkpoint::JsonConfig &j) {
  VQConfig c;
  c.in_channels = j.get_int("in_channels", 3);
  c.out_channels = j.get_int("out_channels", 3);
  c.block_out_channels = j.get_int_list("block_out_channels");
  c.layers_per_block = j.get_int("layers_per_block");
  c.latent_channels = j.get_int("latent_channels");
  c.norm_num_groups = j.get_int("norm_num_groups");
  c.num_vq_embeddings = j.get_int("num_vq_embeddings");
  c.vq_embed_dim = j.get_optional_int("vq_embed_dim").value_or(c.latent_channels);
  c.mid_block_add_attention = j.get_bool("mid_block_add_attention", true);
  c.lookup_from_codebook = j.get_bool("lookup_from_codebook", false);
  c.sample_size = j.get_int("sample_size", 32);
  c.scaling_factor = j.get_double("scaling_factor", 0.18215);
  c.force_upcast = j.get_bool("force_upcast", false);

  if (c.block_out_channels.empty())
    throw Error(j.describe("block_out_channels", "must not be empty"));
  // Before the modulo below: norm_num_groups 0 divided by zero (found by
  // tests/fuzz/fuzz_config; regression input tests/fuzz/corpus/config/regress-vq-groups-0).
  if (c.norm_num_groups <= 0) throw Error(j.describe("norm_num_groups", "must be positive"));
  for (auto ch : c.block_out_channels)
    if (ch <= 0 || ch % c.norm_num_groups != 0)
      throw Error(j.describe("block_out_channels",
                             "every entry must be a positive multiple of norm_num_groups " +
                                 std::to_string(c.norm_num_groups)));
  const auto n = c.block_out_channels.size();
  for (const char *key : {"down_block_types", "up_block_types"}) {
    auto types = j.get_string_list(key);
    if (types.size() != n)
      throw Error(j.describe(key, "has " + std::to_string(types.size()) +
                                      " entries, block_out_channels has " + std::to_string(n)));
    const std::string expected =
        std::string(key) == "down_block_types" ? "DownEncoderBlock2D" : "UpDecoderBlock2D";
    for (const auto &t : types)
      if (t != expected) throw Error(j.describe(key, "unsupported block type '" + t + "'"));
  }
  const std::string norm_type = j.get_string("norm_type", "group");
  if (norm_type != "group")
    throw Error(j.describe("norm_type", "only 'group' is supported, found '" + norm_type + "'"));
  const std::string act = j.get_string("act_fn", "silu");
  if (act != "silu")
    throw Error(j.describe("act_fn", "only 'silu' is supported, found '" + act + "'"));
  if (c.layers_per_block <= 0) throw Error(j.describe("layers_per_block", "must be positive"));
  if (c.num_vq_embeddings <= 0) throw Error(j.describe("num_vq_embeddings", "must be positive"));
  return c;
}

nlohmann::json VQConfig::to_json() const {
  const auto n = block_out_channels.size();
  return {{"_class_name", "VQModel"},
          {"_diffusers_version", "0.27.2"},
          {"act_fn", "silu"},
          {"block_out_channels", block_out_channels},
          {"down_block_types", std::vector<std::string>(n, "DownEncoderBlock2D")},
          {"up_block_types", std::vector<std::string>(n, "UpDecoderBlock2D")},
          {"in_channels", in_channels},
          {"out_channels", out_channels},
          {"latent_channels", latent_channels},
          {"layers_per_block", layers_per_block},
          {"norm_num_groups", norm_num_groups},
          {"norm_type", "group"},
          {"num_vq_embeddings", num_vq_embeddings},
          {"vq_embed_dim",
           vq_embed_dim == latent_channels ? nlohmann::json() : nlohmann::json(vq_embed_dim)},
          {"mid_block_add_attention", mid_block_add_attention},
          {"lookup_from_codebook", lookup_from_codebook},
          {"sample_size", sample_size},
          {"scaling_factor", scaling_factor},
          {"force_upcast", force_upcast}};
}

}  // namespace amused::vq
