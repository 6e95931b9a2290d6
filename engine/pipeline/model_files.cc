// Creating models from configs and writing them in the diffusers folder layout.
#include <torch/torch.h>

#include <fstream>

#include "checkpoint/safetensors.h"
#include "checkpoint/weights.h"
#include "nn/layers.h"
#include "pipeline/model.h"

namespace amused {

namespace fs = std::filesystem;

std::shared_ptr<Model> Model::create(const fs::path &tokenizer_dir,
                                     const text::ClipTextConfig &text_config,
                                     const transformer::UVit2DConfig &uvit_config,
                                     const vq::VQConfig &vq_config,
                                     sampling::SchedulerConfig scheduler_config, uint64_t seed,
                                     const LoadOptions &options) {
  use_runtime_defaults();
  auto tokenizer = text::ClipTokenizer::from_folder(tokenizer_dir);
  // dir_ points at the tokenizer's parent so tokenizer_dir() finds the files to copy.
  auto model = std::make_shared<Model>(tokenizer_dir.parent_path(), options, tokenizer, text_config,
                                       uvit_config, vq_config, scheduler_config);
  nn::init_parameters(*model->text_encoder_, 0.02, seed);
  nn::init_parameters(*model->transformer_, 0.02, seed + 1);
  nn::init_parameters(*model->vqvae_, 0.02, seed + 2);
  return model;
}

namespace {

void write_json(const fs::path &file, const nlohmann::json &j) {
  std::ofstream out(file);
  if (!out) throw Error(file.string() + ": cannot open for writing");
  out << j.dump(2) << "\n";
  if (!out) throw Error(file.string() + ": write failed");
}

void write_weights(const torch::nn::Module &module, const fs::path &dir, const std::string &stem,
                   bool fp16) {
  std::map<std::string, torch::Tensor> tensors;
  for (const auto &item : module.named_parameters(true)) {
    auto t = item.value().detach().to(torch::kCPU, torch::kFloat32);
    tensors[item.key()] = fp16 ? t.to(torch::kFloat16) : t;
  }
  checkpoint::write_safetensors(dir / (stem + (fp16 ? ".fp16" : "") + ".safetensors"), tensors,
                                {{"format", "pt"}});
}

}  // namespace

void Model::save(const fs::path &dir, bool fp16) const {
  for (const char *c : {"text_encoder", "tokenizer", "transformer", "vqvae", "scheduler"})
    fs::create_directories(dir / c);
  write_json(dir / "model_index.json",
             {{"_class_name", "AmusedPipeline"},
              {"_diffusers_version", "0.27.2"},
              {"scheduler", {"diffusers", "AmusedScheduler"}},
              {"text_encoder", {"transformers", "CLIPTextModelWithProjection"}},
              {"tokenizer", {"transformers", "CLIPTokenizer"}},
              {"transformer", {"diffusers", "UVit2DModel"}},
              {"vqvae", {"diffusers", "VQModel"}}});
  write_json(dir / "text_encoder" / "config.json", text_encoder_->config().to_json());
  write_json(dir / "transformer" / "config.json", transformer_->config().to_json());
  write_json(dir / "vqvae" / "config.json", vqvae_->config().to_json());
  write_json(dir / "scheduler" / "scheduler_config.json", scheduler_config_.to_json());
  write_json(dir / "generation_config.json", generation_defaults_.to_json());
  write_weights(*text_encoder_, dir / "text_encoder", "model", fp16);
  write_weights(*transformer_, dir / "transformer", "diffusion_pytorch_model", fp16);
  write_weights(*vqvae_, dir / "vqvae", "diffusion_pytorch_model", fp16);
  const fs::path source = tokenizer_dir();
  if (fs::absolute(source) != fs::absolute(dir / "tokenizer"))
    for (const char *f :
         {"vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"})
      if (fs::exists(source / f))
        fs::copy_file(source / f, dir / "tokenizer" / f, fs::copy_options::overwrite_existing);
}

}  // namespace amused
