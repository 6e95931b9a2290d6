#include "training/model_configs.h"

#include "amused.h"

namespace amused::train {

namespace {

// The text side is small: captions use ~70 distinct words, and the token embedding
// (49408 x hidden) dominates the size of the shipped model, so hidden stays at 64.
text::ClipTextConfig text_config(int64_t hidden, int64_t layers, int64_t heads) {
  text::ClipTextConfig c;
  c.hidden_size = hidden;
  c.intermediate_size = 4 * hidden;
  c.projection_dim = hidden;
  c.num_hidden_layers = layers;  // >= 2: the pipeline reads hidden_states[-2]
  c.num_attention_heads = heads;
  c.hidden_act = "quick_gelu";
  return c;
}

}  // namespace

ModelConfigs finish_configs(ModelConfigs m) {
  if (m.vq.vq_embed_dim != m.vq.latent_channels)
    throw Error("VQ vq_embed_dim " + std::to_string(m.vq.vq_embed_dim) +
                " differs from latent_channels " + std::to_string(m.vq.latent_channels) +
                ": diffusers' AmusedPipeline could not decode the model's tokens");
  // AmusedPipeline decodes token ids by codebook lookup only when the config says so (the
  // published amused-256/512 configs do); otherwise diffusers feeds the ids to the decoder.
  m.vq.lookup_from_codebook = true;
  // The U-ViT reads the text encoder's states and pooled embedding, predicts VQ codes, and
  // uses one extra id (the last) as the mask token, as amused-256/512 do.
  m.uvit.encoder_hidden_size = m.text.hidden_size;
  m.uvit.cond_embed_dim = m.text.projection_dim;
  m.uvit.codebook_size = m.vq.num_vq_embeddings;
  m.uvit.vocab_size = m.vq.num_vq_embeddings + 1;
  m.uvit.micro_cond_embed_dim = 5 * m.uvit.micro_cond_encode_dim;
  m.scheduler.mask_token_id = m.uvit.vocab_size - 1;
  m.scheduler.masking_schedule = sampling::MaskSchedule::kCosine;
  return m;
}

ModelConfigs with_fsq_levels(ModelConfigs m, std::vector<int64_t> levels) {
  m.fsq_levels = std::move(levels);
  if (!m.fsq_levels.empty()) {
    int64_t k = 1;
    for (int64_t l : m.fsq_levels) k *= l;
    m.vq.num_vq_embeddings = k;
    m.vq.vq_embed_dim = static_cast<int64_t>(m.fsq_levels.size());
    // diffusers' pipelines decode with shape (..., latent_channels) over codebook vectors
    // of vq_embed_dim: the two must be equal for AmusedPipeline to run the model.
    m.vq.latent_channels = m.vq.vq_embed_dim;
  }
  return finish_configs(m);
}

namespace {

ModelConfigs default_configs() {
  ModelConfigs m;
  m.text = text_config(64, 2, 2);

  // Downsampling 4: a 128x128 image is 32x32 tokens. Measured on this machine (2 cores, 6
  // minutes each): a 4x VQ reached 22.7 dB held-out PSNR where the 8x one reached 17.7 dB,
  // and 25 dB is the target. Three levels, one resnet per level, no mid-block attention:
  // convolutions only, so it trains on 64x64 crops and runs at any size. The codebook is
  // an FSQ grid of 8*5*5*5 = 1000 codes (fsq.h): no learned code to fall out of use.
  m.vq.block_out_channels = {16, 32, 64};
  m.vq.layers_per_block = 1;
  m.vq.norm_num_groups = 8;
  m.vq.mid_block_add_attention = false;
  m.vq.sample_size = 128;

  // As amused-512: the conv blocks at the token grid (32x32), the transformer layers at
  // half of it (16x16). Narrow (128 wide): a step of 16 scenes takes ~1.9 s here.
  //
  // UVit2D has no position embedding: a token learns where it is only from the zero padding
  // of the 3x3 depthwise convolutions in the conv blocks, one ring per block. With one block
  // (amused-512 has 3 around 22 layers) every token more than a ring inside the 16x16 grid
  // sees exactly the same input when all tokens are masked, so the first decoding step
  // cannot put sky above ground or a subject at the left. Eight blocks reach the middle of
  // the grid from every side (+46% step time, measured).
  auto &u = m.uvit;
  u.hidden_size = 128;
  u.use_bias = false;
  u.micro_cond_encode_dim = 32;
  u.in_channels = 64;
  u.block_out_channels = 32;
  u.num_res_blocks = 8;
  u.downsample = true;
  u.upsample = true;
  u.block_num_heads = 2;
  u.num_hidden_layers = 6;
  u.num_attention_heads = 4;
  u.intermediate_size = 384;
  u.layer_norm_eps = 1e-6;
  u.sample_size = 32;

  // Measured on held-out prompts (README): guidance 10 (diffusers' default) over-steers
  // this small model into colour noise; the model with celestial weight 5 gave 75.4% at 1.5
  // and 71.9% at 2 on 200 prompts (75.8 / 74.5 / 68.3% at 1.5 / 2 / 2.5 on 60); the shipped
  // one before it, with subject weight 3 too, 77.3% at 1.75 and 76.4% at 1.5 on 200 prompts
  // (75.7 / 74.3 / 78.3% at 1.5 / 1.25 / 1.75 on 60); the shipped one (its recipe with
  // transformer seed 1) 81.1 / 81.2 / 79.5% at 1.5 / 1.75 / 2 on 200.
  m.generation.guidance_scale = 1.75;
  return with_fsq_levels(m, {8, 5, 5, 5});
}

ModelConfigs tiny_configs() {
  ModelConfigs m;
  m.text = text_config(16, 2, 2);
  m.vq.block_out_channels = {8, 16, 16};
  m.vq.layers_per_block = 1;
  m.vq.latent_channels = 4;
  m.vq.vq_embed_dim = 4;
  m.vq.norm_num_groups = 4;
  m.vq.num_vq_embeddings = 32;
  m.vq.mid_block_add_attention = false;
  m.vq.sample_size = 16;
  auto &u = m.uvit;
  u.hidden_size = 32;
  u.micro_cond_encode_dim = 8;
  u.in_channels = 16;
  u.block_out_channels = 16;
  u.num_res_blocks = 1;
  u.downsample = true;
  u.upsample = true;
  u.block_num_heads = 2;
  u.num_hidden_layers = 2;
  u.num_attention_heads = 2;
  u.intermediate_size = 64;
  u.sample_size = 8;  // 8x8 tokens at scale 4: 32x32 images
  return finish_configs(m);
}

}  // namespace

ModelConfigs model_configs(const std::string &preset) {
  if (preset == "default") return default_configs();
  if (preset == "tiny") return tiny_configs();
  throw Error("unknown model preset '" + preset + "' (use default or tiny)");
}

}  // namespace amused::train
