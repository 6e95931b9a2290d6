// `amused image` end to end against the reference implementation's goldens: the command
// line, PNG files in and out and the tokens JSON must reproduce diffusers' AmusedPipeline,
// AmusedImg2ImgPipeline and AmusedInpaintPipeline on three checkpoints (square, non-square
// fp16-only weight files, down/upsampling U-ViT).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../engine/golden.h"
#include "cli_run.h"
#include "media/image_io.h"

namespace amused::e2e {
namespace {

using amused::testing::Golden;
using amused::testing::identical;
using amused::testing::pixels_within;

Image image_from(const torch::Tensor &hwc_u8) {
  auto c = hwc_u8.contiguous();
  Image img;
  img.height = static_cast<int>(c.size(0));
  img.width = static_cast<int>(c.size(1));
  img.channels = static_cast<int>(c.dim() == 3 ? c.size(2) : 1);
  img.pixels.assign(c.data_ptr<uint8_t>(), c.data_ptr<uint8_t>() + c.numel());
  return img;
}

torch::Tensor tensor_from(const Image &img) {
  return torch::from_blob(const_cast<uint8_t *>(img.pixels.data()),
                          {img.height, img.width, img.channels}, torch::kUInt8)
      .clone();
}

torch::Tensor read_tokens_json(const std::string &path) {
  std::ifstream in(path);
  const auto j = nlohmann::json::parse(in);
  // [rows][cols] or [N][rows][cols]: flatten, keeping the nesting as the shape.
  std::vector<int64_t> shape, ids;
  const nlohmann::json *level = &j;
  while (level->is_array()) {
    shape.push_back(static_cast<int64_t>(level->size()));
    if (level->empty()) break;
    level = &(*level)[0];
  }
  std::function<void(const nlohmann::json &)> flatten = [&](const nlohmann::json &v) {
    if (v.is_array())
      for (const auto &x : v) flatten(x);
    else
      ids.push_back(v.get<int64_t>());
  };
  flatten(j);
  return torch::tensor(ids).view(shape);
}

class CliParity : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_FALSE(cli_path().empty()) << "AMUSED_CLI is not set";
    dir_ = amused::testing::data_dir() / GetParam();
    golden_ = std::make_unique<Golden>(dir_);
  }

  const nlohmann::json &pipeline_case(const std::string &name) const {
    return golden_->manifest()["cases"]["pipelines"][name];
  }

  // The command line for a manifest case: its prompt, seed, steps, guidance, size, count.
  std::vector<std::string> args_for(const std::string &name) const {
    const auto &c = pipeline_case(name);
    const auto &k = c["call_kwargs"];
    const std::string g = c["generator"].get<std::string>();  // "...manual_seed(N)"
    std::vector<std::string> args = {"image",
                                     "--model",
                                     dir_.string(),
                                     "--prompt",
                                     k["prompt"].get<std::string>(),
                                     "--seed",
                                     g.substr(g.rfind('(') + 1, g.rfind(')') - g.rfind('(') - 1),
                                     "--steps",
                                     std::to_string(k["num_inference_steps"].get<int>()),
                                     "--guidance-scale",
                                     k["guidance_scale"].dump()};
    if (k.contains("negative_prompt") && k["negative_prompt"].is_string())
      args.insert(args.end(), {"--negative-prompt", k["negative_prompt"].get<std::string>()});
    if (k.contains("width"))
      args.insert(args.end(), {"--width", std::to_string(k["width"].get<int>()), "--height",
                               std::to_string(k["height"].get<int>())});
    if (k.contains("num_images_per_prompt"))
      args.insert(args.end(),
                  {"--num-images", std::to_string(k["num_images_per_prompt"].get<int>())});
    if (k.contains("strength")) args.insert(args.end(), {"--strength", k["strength"].dump()});
    return args;
  }

  // Runs the command, then checks the written PNG(s) and tokens JSON against the goldens.
  void run_and_check(const std::string &name, std::vector<std::string> args) {
    const std::string p = "pipe." + name + ".";
    const auto ref_tokens = (*golden_)[p + "tokens"];
    const int64_t n = ref_tokens.size(0);
    args.insert(args.end(), {"--output", tmp_ / "out.png", "--tokens-output", tmp_ / "t.json"});
    const CliResult r = run_cli(args);
    ASSERT_EQ(r.status, 0) << command_line(args) << "\n" << r.err;

    const auto tokens = read_tokens_json(tmp_ / "t.json");
    EXPECT_TRUE(identical(n > 1 ? tokens : tokens.unsqueeze(0), ref_tokens)) << name;
    EXPECT_EQ(tokens.dim(), n > 1 ? 3 : 2)
        << "tokens JSON: [rows][cols], [N][rows][cols] for N > 1";

    const auto ref_images = (*golden_)[p + "image_u8"];
    for (int64_t i = 0; i < n; ++i) {
      const std::string file =
          n > 1 ? tmp_ / ("out-" + std::to_string(i) + ".png") : tmp_ / "out.png";
      const Image img = media::read_image(file);
      EXPECT_TRUE(pixels_within(tensor_from(img), ref_images[i], 2)) << file;
    }
    if (n > 1) {
      EXPECT_FALSE(std::filesystem::exists(tmp_ / "out.png"));
    }
  }

  std::filesystem::path dir_;
  std::unique_ptr<Golden> golden_;
  TempDir tmp_;
};

TEST_P(CliParity, TextToImage) { run_and_check("t2i", args_for("t2i")); }

// Without --guidance-scale the model's own scale applies; these checkpoints have no
// generation_config.json, so that is diffusers' default, 10, at which the goldens were made.
TEST_P(CliParity, TextToImageWithoutAGuidanceFlag) {
  ASSERT_EQ(pipeline_case("t2i")["call_kwargs"]["guidance_scale"].get<double>(), 10.0);
  auto args = args_for("t2i");
  const auto flag = std::find(args.begin(), args.end(), "--guidance-scale");
  ASSERT_NE(flag, args.end());
  args.erase(flag, flag + 2);
  run_and_check("t2i", args);
}

TEST_P(CliParity, TextToImageWithoutGuidanceTwoImages) {
  run_and_check("t2i_nocfg", args_for("t2i_nocfg"));
}

TEST_P(CliParity, ImageToImage) {
  const std::string init = tmp_ / "init.png";
  media::write_png(init, image_from((*golden_)["pipe.img2img.input_image_u8"]));
  auto args = args_for("img2img");
  args.insert(args.end(), {"--init-image", init});
  run_and_check("img2img", args);
}

// The reference resizes the mask to the token grid with PIL's Lanczos filter and binarises
// at 0.5; the engine averages each token's pixels and thresholds at 0.5. The two agree on
// the fixtures' masks (block-aligned rectangles), which this checks before relying on it.
TEST_P(CliParity, PixelMaskGivesTheReferenceTokenMask) {
  const auto mask = (*golden_)["pipe.inpaint.mask_u8"].to(torch::kFloat32) / 255.0;
  const auto ref = (*golden_)["pipe.inpaint.mask_latent"].squeeze() > 0;
  const auto grid =
      torch::adaptive_avg_pool2d(mask.unsqueeze(0), {ref.size(0), ref.size(1)}).squeeze(0) >= 0.5;
  EXPECT_TRUE(identical(grid, ref));
}

TEST_P(CliParity, InpaintWithPixelMask) {
  const std::string init = tmp_ / "init.png", mask = tmp_ / "mask.png";
  media::write_png(init, image_from((*golden_)["pipe.inpaint.input_image_u8"]));
  media::write_png(mask, image_from((*golden_)["pipe.inpaint.mask_u8"]));
  auto args = args_for("inpaint");
  args.insert(args.end(), {"--init-image", init, "--mask-image", mask});
  run_and_check("inpaint", args);
}

// A mask drawn at the token grid is used cell for cell.
TEST_P(CliParity, InpaintWithTokenGridMask) {
  const std::string init = tmp_ / "init.png", mask = tmp_ / "mask.png";
  media::write_png(init, image_from((*golden_)["pipe.inpaint.input_image_u8"]));
  const auto grid = ((*golden_)["pipe.inpaint.mask_latent"].squeeze() > 0).to(torch::kUInt8) * 255;
  media::write_png(mask, image_from(grid));
  auto args = args_for("inpaint");
  args.insert(args.end(), {"--init-image", init, "--mask-image", mask});
  run_and_check("inpaint", args);
}

// The init image is resized to the output size when it differs (and the command says so).
TEST_P(CliParity, InitImageIsResizedToTheModelSize) {
  auto ref = image_from((*golden_)["pipe.img2img.input_image_u8"]);
  Image big = ref;  // nearest-neighbour doubling: resizing back by area gives the original
  big.width *= 2;
  big.height *= 2;
  big.pixels.resize(static_cast<size_t>(big.width) * big.height * 3);
  for (int y = 0; y < big.height; ++y)
    for (int x = 0; x < big.width; ++x)
      for (int c = 0; c < 3; ++c)
        big.pixels[(static_cast<size_t>(y) * big.width + x) * 3 + c] =
            ref.pixels[(static_cast<size_t>(y / 2) * ref.width + x / 2) * 3 + c];
  const std::string init = tmp_ / "big.png";
  media::write_png(init, big);
  auto args = args_for("img2img");
  args.insert(args.end(), {"--init-image", init, "--output", tmp_ / "out.png", "--tokens-output",
                           tmp_ / "t.json"});
  const CliResult r = run_cli(args);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("resizing the init image from " + std::to_string(big.width) + "x" +
                       std::to_string(big.height)),
            std::string::npos)
      << r.err;
  const Image out = media::read_image(tmp_ / "out.png");
  EXPECT_EQ(out.width, ref.width);
  EXPECT_EQ(out.height, ref.height);
  EXPECT_TRUE(
      identical(read_tokens_json(tmp_ / "t.json").unsqueeze(0), (*golden_)["pipe.img2img.tokens"]));
}

INSTANTIATE_TEST_SUITE_P(Checkpoints, CliParity,
                         ::testing::Values("amused-tiny", "variants/variant-fp16",
                                           "variants/variant-downup"),
                         [](const auto &info) {
                           std::string n = info.param;
                           n = n.substr(n.rfind('/') + 1);
                           for (auto &c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

}  // namespace
}  // namespace amused::e2e
