// `amused info`: what a checkpoint is, as the engine sees it after loading.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>

#include "amused.h"
#include "cli_error.h"
#include "model_options.h"
#include "option_parser.h"

namespace amused::cli {

namespace {

// 1234567 -> "1,234,567": parameter counts of real models run to hundreds of millions.
std::string grouped(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

void print_text(const ModelInfo &m) {
  const int grid_w = m.native_width / m.vae_scale_factor;
  const int grid_h = m.native_height / m.vae_scale_factor;
  std::printf("model:       %s\n", m.dir.string().c_str());
  std::printf("native size: %dx%d pixels, %dx%d tokens of %dx%d pixels\n", m.native_width,
              m.native_height, grid_w, grid_h, m.vae_scale_factor, m.vae_scale_factor);
  std::printf("sizes:       multiples of %d pixels, up to %d\n", m.size_multiple, m.max_size);
  std::printf("codebook:    %d codes, mask token %d\n", m.codebook_size, m.mask_token_id);
  std::printf("transformer: %s\n",
              m.downsample ? "halves the token grid internally" : "full-resolution token grid");
  std::printf("parameters:  %s\n", grouped(m.parameters).c_str());
  std::printf("device:      %s\n", m.device.c_str());
  std::printf("precision:   %s\n", m.precision.c_str());
  std::printf("guidance:    %g unless --guidance-scale is given\n", m.default_guidance_scale);
}

void print_json(const ModelInfo &m) {
  const nlohmann::json j = {
      {"model", m.dir.string()},
      {"native_width", m.native_width},
      {"native_height", m.native_height},
      {"vae_scale_factor", m.vae_scale_factor},
      {"codebook_size", m.codebook_size},
      {"mask_token_id", m.mask_token_id},
      {"downsample", m.downsample},
      {"parameters", m.parameters},
      {"device", m.device},
      {"precision", m.precision},
      {"default_guidance_scale", m.default_guidance_scale},
  };
  std::printf("%s\n", j.dump(2).c_str());
}

}  // namespace

int run_info(int argc, char **argv) {
  ModelOptions model;
  bool json = false;
  OptionParser parser("amused info", "Load a model and describe it.");
  model.add_to(parser);
  parser.add_flag("json", 0, "print JSON instead of text (default: text)", &json);
  if (!parser.parse(argc, argv)) return kExitOk;
  model.load_options();
  const ModelInfo info = describe(*model.load());
  json ? print_json(info) : print_text(info);
  return kExitOk;
}

}  // namespace amused::cli
