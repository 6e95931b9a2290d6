// Checkpoints of shapes the parity fixtures do not have (layer and head counts, U-ViT
// down/upsampling, codebook sizes, VQ depth with 2, 4 and 8 pixels per token, non-square
// outputs), built with random weights by lab::create_model and saved in the diffusers layout,
// then driven through the public API only. No reference outputs exist for these, so the
// tests check invariants that hold for any weights.
#include <gtest/gtest.h>

#include <atomic>
#include <set>

#include "amused.h"
#include "checkpoint_fixture.h"
#include "lab/amused_lab.h"

namespace amused {
namespace {

namespace fs = std::filesystem;

struct RandomConfig {
  std::string name;
  text::ClipTextConfig text{};
  transformer::UVit2DConfig uvit{};
  vq::VQConfig vq{};
  sampling::SchedulerConfig scheduler{};
  int other_width = 0, other_height = 0;  // a non-square size the model can make
};

// gtest prints parameters on failure; the name is what identifies a configuration.
void PrintTo(const RandomConfig &c, std::ostream *os) { *os << c.name; }

text::ClipTextConfig text_config(int64_t hidden, int64_t layers, int64_t heads, int64_t proj) {
  text::ClipTextConfig c;
  c.hidden_size = hidden;
  c.intermediate_size = 2 * hidden;
  c.projection_dim = proj;
  c.num_hidden_layers = layers;
  c.num_attention_heads = heads;
  // vocab 49408 and 77 positions: the real CLIP tokenizer feeds it. At least 2 layers: the
  // pipeline reads the second-to-last hidden state.
  return c;
}

transformer::UVit2DConfig uvit_config(const text::ClipTextConfig &text, int64_t hidden,
                                      int64_t layers, int64_t heads, int64_t codebook,
                                      int64_t sample_size, bool downsample) {
  transformer::UVit2DConfig c;
  c.hidden_size = hidden;
  c.num_hidden_layers = layers;
  c.num_attention_heads = heads;
  c.intermediate_size = 2 * hidden;
  c.encoder_hidden_size = text.hidden_size;
  c.cond_embed_dim = text.projection_dim;
  c.micro_cond_encode_dim = 4;
  c.micro_cond_embed_dim = 5 * c.micro_cond_encode_dim;  // five micro-conditions
  c.codebook_size = codebook;
  c.vocab_size = codebook + 8;
  c.in_channels = 8;
  c.block_out_channels = 12;
  c.block_num_heads = 3;
  c.num_res_blocks = 1;
  c.downsample = c.upsample = downsample;
  c.sample_size = sample_size;
  return c;
}

vq::VQConfig vq_config(std::vector<int64_t> channels, int64_t codebook, int64_t latent) {
  vq::VQConfig c;
  c.block_out_channels = std::move(channels);
  c.layers_per_block = 1;
  c.latent_channels = c.vq_embed_dim = latent;
  c.norm_num_groups = 4;
  c.num_vq_embeddings = codebook;
  c.mid_block_add_attention = false;
  c.lookup_from_codebook = true;
  return c;
}

std::vector<RandomConfig> configs() {
  std::vector<RandomConfig> out;
  {  // U-ViT halving the grid, 2 pixels per token, biases
    RandomConfig c;
    c.name = "DownsampleVq2";
    c.text = text_config(8, 2, 2, 8);
    c.uvit = uvit_config(c.text, 16, 2, 2, 24, 8, true);
    c.uvit.use_bias = true;
    c.vq = vq_config({8, 8}, 24, 4);
    c.scheduler.mask_token_id = 24;
    c.other_width = 24, c.other_height = 8;  // multiples of 2 x 2
    out.push_back(c);
  }
  {  // 8 pixels per token, VQ mid-block attention, RMSNorms without weights, linear schedule
    RandomConfig c;
    c.name = "Vq8Attention";
    c.text = text_config(12, 2, 3, 6);
    c.uvit = uvit_config(c.text, 24, 1, 3, 32, 4, false);
    c.uvit.ln_elementwise_affine = false;
    c.uvit.layer_norm_eps = 1e-5;
    c.vq = vq_config({8, 8, 16, 16}, 32, 6);
    c.vq.mid_block_add_attention = true;
    c.scheduler.mask_token_id = 35;
    c.scheduler.masking_schedule = sampling::MaskSchedule::kLinear;
    c.other_width = 48, c.other_height = 16;
    out.push_back(c);
  }
  {  // deep and narrow: 4 text and 4 transformer layers, one head, odd 5x5 grid
    RandomConfig c;
    c.name = "DeepNarrow";
    c.text = text_config(16, 4, 4, 16);
    c.uvit = uvit_config(c.text, 8, 4, 1, 8, 5, false);
    c.uvit.num_res_blocks = 2;
    c.vq = vq_config({8, 16, 16}, 8, 3);
    c.vq.layers_per_block = 2;
    c.scheduler.mask_token_id = 8;
    c.other_width = 28, c.other_height = 12;
    out.push_back(c);
  }
  {  // a large codebook over a small grid, downsampling
    RandomConfig c;
    c.name = "LargeCodebook";
    c.text = text_config(8, 2, 1, 8);
    c.uvit = uvit_config(c.text, 32, 2, 4, 512, 6, true);
    c.vq = vq_config({16, 16}, 512, 8);
    c.vq.norm_num_groups = 8;
    c.scheduler.mask_token_id = 519;
    c.scheduler.masking_schedule = sampling::MaskSchedule::kLinear;
    c.other_width = 20, c.other_height = 8;
    out.push_back(c);
  }
  return out;
}

class RandomModel : public ::testing::TestWithParam<RandomConfig> {
 protected:
  void SetUp() override {
    const auto &c = GetParam();
    const fs::path tokenizer = fs::path(AMUSED_TESTS_DATA_DIR) / "amused-tiny" / "tokenizer";
    lab::save_model(*lab::create_model(tokenizer, c.text, c.uvit, c.vq, c.scheduler, 42),
                    scratch_.path() / "m");
    model_ = load_model(scratch_.path() / "m");
  }

  GenerateParams params(uint64_t seed = 0) const {
    GenerateParams p;
    p.prompt = "a red car on a road under a sunset sky";
    p.seed = seed;
    p.steps = 6;
    return p;
  }

  int scale() const { return 1 << (GetParam().vq.block_out_channels.size() - 1); }

  // Shapes, token range and a non-constant picture for every output of `r`.
  void check_result(const Result &r, int width, int height, int count) const {
    ASSERT_EQ(static_cast<int>(r.images.size()), count);
    ASSERT_EQ(static_cast<int>(r.tokens.size()), count);
    for (int i = 0; i < count; ++i) {
      const Image &img = r.images[i];
      EXPECT_EQ(img.width, width);
      EXPECT_EQ(img.height, height);
      EXPECT_EQ(img.channels, 3);
      ASSERT_EQ(img.pixels.size(), static_cast<size_t>(width) * height * 3);
      const auto [lo, hi] = std::minmax_element(img.pixels.begin(), img.pixels.end());
      EXPECT_GT(*hi - *lo, 1) << "image " << i << " is constant";
      const TokenGrid &g = r.tokens[i];
      EXPECT_EQ(g.rows, height / scale());
      EXPECT_EQ(g.cols, width / scale());
      ASSERT_EQ(g.ids.size(), static_cast<size_t>(g.rows) * g.cols);
      for (int64_t id : g.ids) {
        EXPECT_GE(id, 0);
        ASSERT_LT(id, GetParam().uvit.codebook_size) << "a mask token was left";
      }
    }
  }

  testing::ScratchDir scratch_;
  std::shared_ptr<const Model> model_;
};

TEST_P(RandomModel, DescribesItsConfiguration) {
  const ModelInfo info = describe(*model_);
  const auto &c = GetParam();
  EXPECT_EQ(info.vae_scale_factor, scale());
  EXPECT_EQ(info.native_width, c.uvit.sample_size * scale());
  EXPECT_EQ(info.native_height, info.native_width);
  EXPECT_EQ(info.codebook_size, c.uvit.codebook_size);
  EXPECT_EQ(info.mask_token_id, c.scheduler.mask_token_id);
  EXPECT_EQ(info.downsample, c.uvit.downsample);
}

TEST_P(RandomModel, NativeAndNonSquareSizes) {
  const ModelInfo info = describe(*model_);
  check_result(text_to_image(*model_, params()), info.native_width, info.native_height, 1);
  auto p = params();
  p.width = GetParam().other_width;
  p.height = GetParam().other_height;
  check_result(text_to_image(*model_, p), p.width, p.height, 1);
  // One token size more is a size it cannot make when the U-ViT halves the grid.
  const int step = scale() * (GetParam().uvit.downsample ? 2 : 1);
  p.width = GetParam().other_width + step / 2;
  if (step > 1) {
    EXPECT_THROW(text_to_image(*model_, p), Error);
  }
}

TEST_P(RandomModel, SeedDecides) {
  const Result a = text_to_image(*model_, params(5));
  const Result b = text_to_image(*model_, params(5));
  const Result c = text_to_image(*model_, params(6));
  EXPECT_EQ(a.tokens[0].ids, b.tokens[0].ids);
  EXPECT_EQ(a.images[0].pixels, b.images[0].pixels);
  EXPECT_NE(a.tokens[0].ids, c.tokens[0].ids);
}

TEST_P(RandomModel, GuidanceOneAndTen) {
  const ModelInfo info = describe(*model_);
  auto p = params(3);
  p.guidance_scale = 1.0;  // no classifier-free guidance: one transformer pass per step
  const Result plain = text_to_image(*model_, p);
  check_result(plain, info.native_width, info.native_height, 1);
  p.guidance_scale = 10.0;
  p.negative_prompt = "blurry";
  const Result guided = text_to_image(*model_, p);
  check_result(guided, info.native_width, info.native_height, 1);
  // No assertion that the two differ: with freshly initialised weights the text barely
  // moves the logits, and both runs consume the generator identically.
}

TEST_P(RandomModel, BatchComesFromOneGenerator) {
  const ModelInfo info = describe(*model_);
  auto p = params(9);
  p.num_images = 3;
  const Result r = text_to_image(*model_, p);
  check_result(r, info.native_width, info.native_height, 3);
  std::set<std::vector<int64_t>> distinct;
  for (const auto &g : r.tokens) distinct.insert(g.ids);
  EXPECT_EQ(distinct.size(), 3u) << "the images of a batch draw different random numbers";
  EXPECT_EQ(text_to_image(*model_, p).tokens[2].ids, r.tokens[2].ids);
}

TEST_P(RandomModel, ProgressAndCancellation) {
  std::vector<std::pair<int, int>> seen;
  RunControl control;
  control.on_step = [&](int step, int total) { seen.emplace_back(step, total); };
  text_to_image(*model_, params(), control);
  ASSERT_EQ(seen.size(), 6u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(seen[i], std::make_pair(i + 1, 6));

  // Cancelled from the callback after step 2: the check before step 3 stops the run.
  std::atomic<bool> cancel{false};
  seen.clear();
  control.cancel = &cancel;
  control.on_step = [&](int step, int total) {
    seen.emplace_back(step, total);
    if (step == 2) cancel = true;
  };
  EXPECT_THROW(text_to_image(*model_, params(), control), Cancelled);
  EXPECT_EQ(seen.size(), 2u);
  // Already cancelled: no step runs.
  seen.clear();
  EXPECT_THROW(text_to_image(*model_, params(), control), Cancelled);
  EXPECT_TRUE(seen.empty());
}

TEST_P(RandomModel, ImageToImageAndInpaint) {
  const ModelInfo info = describe(*model_);
  const int w = GetParam().other_width, h = GetParam().other_height;
  auto p = params(4);
  p.width = w;
  p.height = h;
  const Image init = text_to_image(*model_, p).images[0];

  // Strength 0 runs no step: the result is the init image's VQ tokens.
  const Result encoded = image_to_image(*model_, p, init, 0.0);
  check_result(encoded, w, h, 1);
  const Result half = image_to_image(*model_, p, init, 0.5);
  check_result(half, w, h, 1);

  // Inpainting the top rows of tokens keeps every other token of the init image.
  const int rows = h / scale(), cols = w / scale();
  Image mask{cols, rows, 1, std::vector<uint8_t>(static_cast<size_t>(rows) * cols, 0)};
  const int masked_rows = std::max(1, rows / 2);
  std::fill(mask.pixels.begin(), mask.pixels.begin() + masked_rows * cols, 255);
  const Result painted = inpaint(*model_, p, init, mask);
  check_result(painted, w, h, 1);
  const auto &before = encoded.tokens[0].ids, &after = painted.tokens[0].ids;
  for (size_t i = static_cast<size_t>(masked_rows) * cols; i < after.size(); ++i)
    EXPECT_EQ(after[i], before[i]) << "kept token " << i;
  EXPECT_EQ(info.native_width % scale(), 0);
}

INSTANTIATE_TEST_SUITE_P(Shapes, RandomModel, ::testing::ValuesIn(configs()),
                         [](const auto &info) { return info.param.name; });

}  // namespace
}  // namespace amused
