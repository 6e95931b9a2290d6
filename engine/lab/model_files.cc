// Creating models from configs and writing them in the diffusers folder layout.
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <fstream>
#include <thread>

#include "checkpoint/safetensors.h"
#include "checkpoint/weights.h"
#include "lab/amused_lab.h"
#include "nn/layers.h"

namespace amused::lab {

namespace fs = std::filesystem;

std::shared_ptr<Model> create_model(const fs::path &tokenizer_dir,
                                    const text::ClipTextConfig &text_config,
                                    const transformer::UVit2DConfig &uvit_config,
                                    const vq::VQConfig &vq_config,
                                    sampling::SchedulerConfig scheduler_config, uint64_t seed,
                                    const LoadOptions &options) {
  auto tokenizer = text::ClipTokenizer::from_folder(tokenizer_dir);
  // dir_ points at the tokenizer's parent so tokenizer_dir() finds the files to copy.
  auto model = std::make_shared<Model>(tokenizer_dir.parent_path(), options, tokenizer, text_config,
                                       uvit_config, vq_config, scheduler_config);
  nn::init_parameters(*model->text_encoder(), 0.02, seed);
  nn::init_parameters(*model->transformer(), 0.02, seed + 1);
  nn::init_parameters(*model->vqvae(), 0.02, seed + 2);
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

void save_model(const Model &model, const fs::path &dir, bool fp16) {
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
  write_json(dir / "text_encoder" / "config.json", model.text_encoder()->config().to_json());
  write_json(dir / "transformer" / "config.json", model.transformer()->config().to_json());
  write_json(dir / "vqvae" / "config.json", model.vqvae()->config().to_json());
  write_json(dir / "scheduler" / "scheduler_config.json", model.scheduler_config().to_json());
  write_json(dir / "generation_config.json", model.generation_defaults().to_json());
  write_weights(*model.text_encoder(), dir / "text_encoder", "model", fp16);
  write_weights(*model.transformer(), dir / "transformer", "diffusion_pytorch_model", fp16);
  write_weights(*model.vqvae(), dir / "vqvae", "diffusion_pytorch_model", fp16);
  const fs::path source = model.tokenizer_dir();
  if (fs::absolute(source) != fs::absolute(dir / "tokenizer"))
    for (const char *f :
         {"vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"})
      if (fs::exists(source / f))
        fs::copy_file(source / f, dir / "tokenizer" / f, fs::copy_options::overwrite_existing);
}

void use_process_threads(int threads) {
  RuntimeOptions runtime;
  runtime.threads = threads;
  configure_runtime(runtime);
  if (threads == 0) {
    const char *env = std::getenv("OMP_NUM_THREADS");
    threads = env && std::atoi(env) > 0 ? std::atoi(env)
                                        : static_cast<int>(std::thread::hardware_concurrency());
  }
  if (threads > 0) at::set_num_threads(threads);
}

}  // namespace amused::lab
