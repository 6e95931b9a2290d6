#include "pipeline/model.h"

#include <torch/torch.h>

#include "checkpoint/json_config.h"
#include "checkpoint/weights.h"
#include "nn/layers.h"

namespace amused {

namespace fs = std::filesystem;

c10::Device usable_device(const std::string &name) {
  const c10::Device device(parse_device(name));
  if (device.is_cpu()) return device;
  if (device.is_cuda()) {
    if (!torch::cuda::is_available())
      throw Error("device '" + device.str() +
                  "' is not available: this libtorch build has no usable CUDA device "
                  "(use device=cpu)");
    if (device.has_index() && device.index() >= static_cast<int>(torch::cuda::device_count()))
      throw Error("device '" + device.str() + "' does not exist: " +
                  std::to_string(torch::cuda::device_count()) + " CUDA device(s) present");
    return device;
  }
  throw Error("device '" + device.str() + "' is not supported (use cpu or cuda)");
}

Model::Model(fs::path dir, LoadOptions options, text::ClipTokenizer tokenizer,
             const text::ClipTextConfig &text_config, const transformer::UVit2DConfig &uvit_config,
             const vq::VQConfig &vq_config, sampling::SchedulerConfig scheduler_config)
    : dir_(std::move(dir)),
      options_(options),
      device_(usable_device(options.device)),
      tokenizer_(std::move(tokenizer)),
      text_encoder_(text_config),
      transformer_(uvit_config),
      vqvae_(vq_config),
      scheduler_config_(scheduler_config) {}

int64_t Model::native_size() const {
  return transformer_->config().sample_size * vae_scale_factor();
}

int64_t Model::parameter_count() const {
  if (parameters_ > 0) return parameters_;  // counted before packing released the weights
  int64_t n = 0;
  for (const torch::nn::Module *m : {static_cast<const torch::nn::Module *>(text_encoder_.get()),
                                     static_cast<const torch::nn::Module *>(transformer_.get()),
                                     static_cast<const torch::nn::Module *>(vqvae_.get())})
    for (const auto &p : m->parameters()) n += p.numel();
  return n;
}

void Model::prepare_for_inference() {
  parameters_ = parameter_count();
  for (torch::nn::Module *m : {static_cast<torch::nn::Module *>(text_encoder_.get()),
                               static_cast<torch::nn::Module *>(transformer_.get()),
                               static_cast<torch::nn::Module *>(vqvae_.get())}) {
    m->eval();
    m->to(device_);
    for (auto &p : m->parameters()) p.set_requires_grad(false);
    if (device_.is_cpu() && torch::hasMKLDNN())
      nn::set_matmul_backend(*m, nn::MatmulBackend::kOneDnn);
  }
  if (options_.precision == Precision::kFloat32) return;
  if (!device_.is_cpu()) {
    if (options_.precision == Precision::kInt8)
      throw Error("precision int8 runs on the CPU only (device " + device_.str() +
                  "): use bf16 or fp32");
    nn::use_bfloat16_matmuls(*text_encoder_);
    nn::use_bfloat16_matmuls(*transformer_);
    return;
  }
  nn::pack_linears(*text_encoder_, [](const std::string &) { return nn::PackedType::kBFloat16; });
  vqvae_->use_bfloat16_channels_last();
  const bool int8 = options_.precision == Precision::kInt8;
  nn::pack_linears(
      *transformer_,
      [int8](const std::string &name) {
        // int8 where the tokens are: the attentions' projections, the feed-forwards and the conv
        // blocks' channel MLPs. bf16 for what conditions them (a few rows each) and the logits.
        const bool token_matmul = name.find(".to_") != std::string::npos ||
                                  name.find(".ff.net.") != std::string::npos ||
                                  name.find("channelwise_linear") != std::string::npos;
        return int8 && token_matmul ? nn::PackedType::kInt8 : nn::PackedType::kBFloat16;
      },
      [](const std::string &name) {
        // The transformer layers' self-attention: q, k and v all from the same normed input.
        return name.rfind("transformer_layers.", 0) == 0 && name.size() > 6 &&
               name.compare(name.size() - 6, 6, ".attn1") == 0;
      });
}

namespace {

void require_folder(const fs::path &dir, const char *name) {
  if (!fs::is_directory(dir / name))
    throw Error(dir.string() + ": missing component folder '" + name +
                "' (expected the diffusers layout of amused/amused-256)");
}

void check_consistency(const fs::path &dir, const text::ClipTextConfig &t,
                       const transformer::UVit2DConfig &u, const vq::VQConfig &v,
                       const sampling::SchedulerConfig &s) {
  auto fail = [&](const std::string &what) { throw Error(dir.string() + ": " + what); };
  if (t.hidden_size != u.encoder_hidden_size)
    fail("text_encoder hidden_size " + std::to_string(t.hidden_size) +
         " != transformer encoder_hidden_size " + std::to_string(u.encoder_hidden_size));
  if (t.projection_dim != u.cond_embed_dim)
    fail("text_encoder projection_dim " + std::to_string(t.projection_dim) +
         " != transformer cond_embed_dim " + std::to_string(u.cond_embed_dim));
  if (v.num_vq_embeddings != u.codebook_size)
    fail("vqvae num_vq_embeddings " + std::to_string(v.num_vq_embeddings) +
         " != transformer codebook_size " + std::to_string(u.codebook_size));
  if (s.mask_token_id < u.codebook_size || s.mask_token_id >= u.vocab_size)
    fail("scheduler mask_token_id " + std::to_string(s.mask_token_id) +
         " must lie in [codebook_size, vocab_size) = [" + std::to_string(u.codebook_size) + ", " +
         std::to_string(u.vocab_size) + ")");
}

}  // namespace

std::shared_ptr<Model> Model::load(const fs::path &dir, const LoadOptions &options) {
  usable_device(options.device);
  if (!fs::is_directory(dir)) throw Error(dir.string() + ": model folder does not exist");
  if (!fs::exists(dir / "model_index.json"))
    throw Error(dir.string() + ": no model_index.json (not a diffusers checkpoint folder)");
  auto index = checkpoint::JsonConfig::load(dir / "model_index.json");
  for (const char *c : {"text_encoder", "tokenizer", "transformer", "vqvae", "scheduler"})
    require_folder(dir, c);

  auto text_config = text::ClipTextConfig::from_json(
      checkpoint::JsonConfig::load(dir / "text_encoder" / "config.json"));
  auto uvit_config = transformer::UVit2DConfig::from_json(
      checkpoint::JsonConfig::load(dir / "transformer" / "config.json"));
  auto vq_config =
      vq::VQConfig::from_json(checkpoint::JsonConfig::load(dir / "vqvae" / "config.json"));
  auto scheduler_config = sampling::SchedulerConfig::from_json(
      checkpoint::JsonConfig::load(dir / "scheduler" / "scheduler_config.json"));
  check_consistency(dir, text_config, uvit_config, vq_config, scheduler_config);
  auto tokenizer = text::ClipTokenizer::from_folder(dir / "tokenizer");
  if (static_cast<int64_t>(tokenizer.vocab_size()) > text_config.vocab_size)
    throw Error(dir.string() + ": tokenizer has " + std::to_string(tokenizer.vocab_size()) +
                " tokens, text_encoder vocab_size is " + std::to_string(text_config.vocab_size));

  const auto generation_defaults = GenerationDefaults::load(dir);
  auto model = std::make_shared<Model>(dir, options, std::move(tokenizer), text_config, uvit_config,
                                       vq_config, scheduler_config);
  model->generation_defaults_ = generation_defaults;
  checkpoint::load_weights(*model->text_encoder_, dir / "text_encoder", "model");
  checkpoint::load_weights(*model->transformer_, dir / "transformer", "diffusion_pytorch_model");
  checkpoint::load_weights(*model->vqvae_, dir / "vqvae", "diffusion_pytorch_model");
  model->prepare_for_inference();
  return model;
}

}  // namespace amused
