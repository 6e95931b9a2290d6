// Parity with the reference implementation (diffusers v0.27.2 / transformers v4.38.2) on
// random-weight checkpoints of three different configurations: every module output, the
// scheduler's arithmetic and random draws, and the three pipelines end to end.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "amused.h"
#include "golden.h"
#include "pipeline/model.h"
#include "pipeline/sampling_loop.h"

namespace amused {
namespace {

using testing::close_relative;
using testing::Golden;
using testing::identical;
using testing::pixels_within;

class Parity : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = testing::data_dir() / GetParam();
    golden_ = std::make_unique<Golden>(dir_);
    model_ = std::const_pointer_cast<Model>(load_model(dir_));
  }
  const nlohmann::json &pipeline_case(const std::string &name) const {
    return golden_->manifest()["cases"]["pipelines"][name];
  }
  static uint64_t seed_of(const nlohmann::json &c) {
    // "torch.Generator('cpu').manual_seed(N)"
    const std::string g = c["generator"].get<std::string>();
    return std::stoull(g.substr(g.rfind('(') + 1));
  }
  static Image image_from(const torch::Tensor &hwc_u8) {
    Image img;
    img.height = static_cast<int>(hwc_u8.size(0));
    img.width = static_cast<int>(hwc_u8.size(1));
    img.channels = static_cast<int>(hwc_u8.dim() == 3 ? hwc_u8.size(2) : 1);
    auto c = hwc_u8.contiguous();
    img.pixels.assign(c.data_ptr<uint8_t>(), c.data_ptr<uint8_t>() + c.numel());
    return img;
  }
  static torch::Tensor to_tensor(const Image &img) {
    return torch::from_blob(const_cast<uint8_t *>(img.pixels.data()),
                            {img.height, img.width, img.channels}, torch::kUInt8)
        .clone();
  }
  static torch::Tensor grids(const Result &r) {
    std::vector<torch::Tensor> out;
    for (const auto &g : r.tokens) out.push_back(torch::tensor(g.ids).view({g.rows, g.cols}));
    return torch::stack(out);
  }
  static torch::Tensor images(const Result &r) {
    std::vector<torch::Tensor> out;
    for (const auto &i : r.images) out.push_back(to_tensor(i));
    return torch::stack(out);
  }
  void check_pipeline(const std::string &name, const Result &r) {
    const std::string p = "pipe." + name + ".";
    EXPECT_TRUE(identical(grids(r), (*golden_)[p + "tokens"])) << name << " tokens";
    EXPECT_TRUE(pixels_within(images(r), (*golden_)[p + "image_u8"], 2)) << name << " image";
  }

  std::filesystem::path dir_;
  std::unique_ptr<Golden> golden_;
  std::shared_ptr<Model> model_;
  torch::InferenceMode inference_;
};

TEST_P(Parity, TokenizerFeedsTheSameIds) {
  const auto &prompts = golden_->manifest()["cases"]["text_encoder"]["prompts"];
  auto ids = (*golden_)["text_encoder.input_ids"];
  for (size_t i = 0; i < prompts.size(); ++i) {
    auto ours = torch::tensor(model_->tokenizer().encode_padded(prompts[i].get<std::string>()));
    EXPECT_TRUE(identical(ours, ids[i])) << "prompt " << i;
  }
}

TEST_P(Parity, TextEncoder) {
  auto out = model_->text_encoder()->forward((*golden_)["text_encoder.input_ids"]);
  EXPECT_TRUE(close_relative(out.penultimate, (*golden_)["text_encoder.hidden_states_m2"]));
  EXPECT_TRUE(close_relative(out.last_hidden_state, (*golden_)["text_encoder.last_hidden_state"]));
  EXPECT_TRUE(close_relative(out.text_embeds, (*golden_)["text_encoder.text_embeds"]));
}

TEST_P(Parity, Transformer) {
  const Golden &g = *golden_;
  auto logits = model_->transformer()->forward(
      g["transformer.input_ids"], g["transformer.encoder_hidden_states"],
      g["transformer.pooled_text_emb"], g["transformer.micro_conds"]);
  EXPECT_TRUE(close_relative(logits, g["transformer.logits"]));
}

TEST_P(Parity, VQDecode) {
  auto sample = model_->vqvae()->decode_indices((*golden_)["vqvae.decode.indices"]);
  EXPECT_TRUE(close_relative(sample, (*golden_)["vqvae.decode.sample"]));
  EXPECT_TRUE(close_relative(sample.clamp(0, 1), (*golden_)["vqvae.decode.sample_clipped"]));
}

TEST_P(Parity, VQEncode) {
  const Golden &g = *golden_;
  auto image = g["vqvae.encode.image_u8"].to(torch::kFloat32).div(255.0f).permute({0, 3, 1, 2});
  EXPECT_TRUE(close_relative(image, g["vqvae.encode.image"], 0));
  auto latents = model_->vqvae()->encode(g["vqvae.encode.image"]);
  EXPECT_TRUE(close_relative(latents, g["vqvae.encode.latents"]));
  auto indices = model_->vqvae()->quantize->nearest_indices(latents);
  EXPECT_TRUE(identical(indices, g["vqvae.encode.indices"]));
  EXPECT_TRUE(
      close_relative(model_->vqvae()->quantize->lookup(indices), g["vqvae.encode.quantized"]));
}

TEST_P(Parity, SchedulerTimestepsAndRatios) {
  sampling::AmusedScheduler s(model_->scheduler_config());
  s.set_timesteps(12);
  EXPECT_TRUE(identical(s.timesteps(), (*golden_)["scheduler.timesteps"]));
  EXPECT_TRUE(close_relative(s.temperatures(), (*golden_)["scheduler.temperatures"], 1e-6));
  std::vector<torch::Tensor> cosine, linear;
  for (int i = 0; i < 12; ++i) {
    s.set_masking_schedule(sampling::MaskSchedule::kCosine);
    cosine.push_back(s.mask_ratio(i).reshape({}));
    s.set_masking_schedule(sampling::MaskSchedule::kLinear);
    linear.push_back(s.mask_ratio(i).reshape({}));
  }
  // The goldens are float64 values of the formulas; the scheduler computes in float32.
  auto abs_err = [](const torch::Tensor &a, const torch::Tensor &b) {
    return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
  };
  EXPECT_LT(abs_err(torch::stack(cosine), (*golden_)["scheduler.mask_ratio_cosine"]), 1e-6);
  EXPECT_LT(abs_err(torch::stack(linear), (*golden_)["scheduler.mask_ratio_linear"]), 1e-6);
}

TEST_P(Parity, SchedulerStepsDrawTheSameRandomNumbers) {
  const Golden &g = *golden_;
  sampling::AmusedScheduler s(model_->scheduler_config());
  s.set_timesteps(12);
  for (const auto &step : g.manifest()["cases"]["scheduler"]["steps"]) {
    const int idx = step["step_index"], t = step["timestep"];
    const uint64_t seed = step["generator_seed"];
    const std::string p = "scheduler.step" + std::to_string(idx) + ".";
    // The generator must produce the reference's exponential draws (torch.multinomial's
    // internals) before anything else can match.
    auto probe = pipeline::make_generator(seed);
    auto expo = g[p + "exponential_noise"];
    auto ours = torch::empty(expo.sizes()).exponential_(1, probe);
    EXPECT_TRUE(close_relative(ours, expo, 1e-6)) << "exponential draws, step " << idx;

    auto gen = pipeline::make_generator(seed);
    auto out = s.step(g["scheduler.step.logits"], t, g["scheduler.step.sample"], gen);
    EXPECT_TRUE(identical(out.prev_sample, g[p + "prev_sample"])) << "step " << idx;
    EXPECT_TRUE(identical(out.pred_original_sample, g[p + "pred_original_sample"]))
        << "step " << idx;
  }
}

TEST_P(Parity, SchedulerAddNoise) {
  const Golden &g = *golden_;
  const auto &c = g.manifest()["cases"]["scheduler"]["add_noise"];
  sampling::AmusedScheduler s(model_->scheduler_config());
  s.set_timesteps(12);
  auto gen = pipeline::make_generator(c["generator_seed"].get<uint64_t>());
  auto out = s.add_noise(g["scheduler.add_noise.input"], c["timestep"].get<int64_t>(), gen);
  EXPECT_TRUE(identical(out, g["scheduler.add_noise.output"]));
}

GenerateParams params_from(const nlohmann::json &kwargs, uint64_t seed) {
  GenerateParams p;
  p.prompt = kwargs["prompt"];
  if (kwargs.contains("negative_prompt") && kwargs["negative_prompt"].is_string())
    p.negative_prompt = kwargs["negative_prompt"];
  p.steps = kwargs["num_inference_steps"];
  p.guidance_scale = kwargs["guidance_scale"];
  if (kwargs.contains("width")) p.width = kwargs["width"];
  if (kwargs.contains("height")) p.height = kwargs["height"];
  if (kwargs.contains("num_images_per_prompt")) p.num_images = kwargs["num_images_per_prompt"];
  p.seed = seed;
  return p;
}

TEST_P(Parity, TextToImage) {
  for (const char *name : {"t2i", "t2i_nocfg"}) {
    const auto &c = pipeline_case(name);
    auto r = text_to_image(*model_, params_from(c["call_kwargs"], seed_of(c)));
    check_pipeline(name, r);
  }
}

TEST_P(Parity, TextToImageTrajectory) {
  // Every intermediate token grid, not only the last, so a divergence is located.
  const auto &c = pipeline_case("t2i");
  auto p = params_from(c["call_kwargs"], seed_of(c));
  const int64_t scale = model_->vae_scale_factor();
  auto cond = pipeline::make_conditioning(*model_, p, 1, p.width, p.height);
  sampling::AmusedScheduler s(model_->scheduler_config());
  s.set_timesteps(p.steps);
  auto gen = pipeline::make_generator(p.seed);
  std::vector<torch::Tensor> trajectory;
  pipeline::LoopOptions o;
  o.trajectory = &trajectory;
  auto latents = torch::full({1, p.height / scale, p.width / scale},
                             model_->scheduler_config().mask_token_id, torch::kLong);
  pipeline::run_steps(*model_, cond, latents, s, gen, {}, o);
  EXPECT_TRUE(identical(torch::stack(trajectory), (*golden_)["pipe.t2i.token_trajectory"]));
}

TEST_P(Parity, ImageToImage) {
  const auto &c = pipeline_case("img2img");
  auto r = image_to_image(*model_, params_from(c["call_kwargs"], seed_of(c)),
                          image_from((*golden_)["pipe.img2img.input_image_u8"].squeeze(0)),
                          c["call_kwargs"]["strength"].get<double>());
  check_pipeline("img2img", r);
}

TEST_P(Parity, Inpaint) {
  // The mask is given at the token grid, as the reference resized and binarised it.
  const auto &c = pipeline_case("inpaint");
  auto mask = ((*golden_)["pipe.inpaint.mask_latent"].squeeze() > 0).to(torch::kUInt8) * 255;
  auto r =
      inpaint(*model_, params_from(c["call_kwargs"], seed_of(c)),
              image_from((*golden_)["pipe.inpaint.input_image_u8"].squeeze(0)), image_from(mask));
  check_pipeline("inpaint", r);
}

INSTANTIATE_TEST_SUITE_P(Checkpoints, Parity,
                         ::testing::Values("amused-tiny", "variants/variant-downup",
                                           "variants/variant-fp16"),
                         [](const auto &info) {
                           std::string n = info.param;
                           for (auto &ch : n)
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

}  // namespace
}  // namespace amused
