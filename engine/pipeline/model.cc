#include "pipeline/model.h"

#include <malloc.h>
#include <torch/torch.h>

#include "checkpoint/json_config.h"
#include "checkpoint/weights.h"
#include "nn/layers.h"
#include "util/recycling_allocator.h"

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
  if (parameters_ == 0) parameters_ = parameter_count();
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
  pack_part(*text_encoder_, "", kTextEncoder);
  pack_part(*transformer_, "", kTransformer);
  vqvae_->use_bfloat16_channels_last(options_.precision == Precision::kInt8);
}

void Model::pack_part(torch::nn::Module &part, const std::string &prefix, Component component) {
  if (options_.precision == Precision::kFloat32 || !device_.is_cpu()) return;
  const bool int8 = options_.precision == Precision::kInt8 && component == kTransformer;
  // The transformer's fused kernels: the GEGLU's halves and the modulated norms.
  for (auto &sub : part.modules(/*include_self=*/true)) {
    if (auto *geglu = dynamic_cast<transformer::GegluImpl *>(sub.get());
        geglu && !geglu->proj->released())
      geglu->pack_halves(int8 ? nn::PackedType::kInt8 : nn::PackedType::kBFloat16);
    if (auto *norm = dynamic_cast<transformer::AdaLayerNormContinuousImpl *>(sub.get()))
      norm->fused = true;
  }
  nn::pack_linears(
      part,
      [int8, &prefix](const std::string &name) {
        // int8 for the layers' products: the attentions' projections, the feed-forwards, the
        // conv blocks' channel MLPs and the modulations computed from the conditioning. bf16
        // where the tokens enter and leave (the text projection, the conditioning embedding,
        // the projections to and from the hidden width and the logits head).
        const std::string full = prefix + name;
        const bool in_layers = full.rfind("transformer_layers.", 0) == 0 ||
                               full.find("res_blocks.") != std::string::npos ||
                               full.find("attention_blocks.") != std::string::npos;
        return int8 && in_layers ? nn::PackedType::kInt8 : nn::PackedType::kBFloat16;
      },
      [component, &prefix](const std::string &name) {
        // The transformer layers' self-attention: q, k and v all from the same normed input.
        const std::string full = prefix + name;
        return component == kTransformer && full.rfind("transformer_layers.", 0) == 0 &&
               full.size() > 6 && full.compare(full.size() - 6, 6, ".attn1") == 0;
      });
}

namespace {
bool has_module_list(torch::nn::Module &m) {
  for (const auto &sub : m.modules(/*include_self=*/true))
    if (dynamic_cast<torch::nn::ModuleListImpl *>(sub.get())) return true;
  return false;
}

// The parts to load and convert one at a time: every element of a ModuleList (a layer),
// and whole the subtrees without one. `visit(part, prefix)`.
void for_each_part(torch::nn::Module &m, const std::string &prefix,
                   const std::function<void(torch::nn::Module &, const std::string &)> &visit) {
  if (!m.named_parameters(/*recurse=*/false).is_empty())
    throw std::logic_error("for_each_part: " + prefix + " holds parameters of its own");
  for (auto &child : m.named_children()) {
    const std::string name = prefix + child.key() + ".";
    if (auto *list = dynamic_cast<torch::nn::ModuleListImpl *>(child.value().get())) {
      for (size_t i = 0; i < list->size(); ++i)
        visit(*list->ptr(i), name + std::to_string(i) + ".");
    } else if (has_module_list(*child.value())) {
      for_each_part(*child.value(), name, visit);
    } else {
      visit(*child.value(), name);
    }
  }
}

}  // namespace

void Model::load_component(torch::nn::Module &component, const fs::path &dir,
                           const std::string &stem, Component which) {
  checkpoint::WeightLoader loader(dir, stem);
  for_each_part(component, "", [&](torch::nn::Module &part, const std::string &prefix) {
    loader.load(part, prefix);
    pack_part(part, prefix, which);
    malloc_trim(0);  // the part's unconverted weights, freed inside the heap, go back now
  });
  loader.finish();
}

void Model::store_weights_for_precision() {
  if (options_.precision == Precision::kFloat32 || !device_.is_cpu()) return;
  torch::NoGradGuard no_grad;
  auto as_bf16 = [](torch::Tensor &t) {
    if (t.defined() && t.scalar_type() == torch::kFloat32)
      t.set_data(torch::empty(t.sizes(), t.options().dtype(torch::kBFloat16)));
  };
  // The text encoder and transformer: the matrices that get packed.
  for (torch::nn::Module *m : {static_cast<torch::nn::Module *>(text_encoder_.get()),
                               static_cast<torch::nn::Module *>(transformer_.get())})
    for (auto &sub : m->modules(/*include_self=*/true)) {
      if (auto *linear = dynamic_cast<nn::LinearImpl *>(sub.get())) as_bf16(linear->weight);
      if (auto *table = dynamic_cast<nn::EmbeddingImpl *>(sub.get())) as_bf16(table->weight);
      if (auto *conv = dynamic_cast<nn::Conv2dImpl *>(sub.get()); conv && conv->pointwise())
        as_bf16(conv->weight);
    }
  // The VQ model, but for its codebook: all of it runs in bf16.
  for (auto &item : vqvae_->named_parameters(/*recurse=*/true))
    if (item.key().rfind("quantize.", 0) != 0) as_bf16(item.value());
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
  std::shared_ptr<Model> model;
  {
    // Each tensor is freed as soon as it is converted or packed (the modules' placeholders
    // too): keeping the blocks for reuse would only raise the peak.
    RecyclingBypass bypass;
    model = std::make_shared<Model>(dir, options, std::move(tokenizer), text_config, uvit_config,
                                    vq_config, scheduler_config);
    model->generation_defaults_ = generation_defaults;
    model->parameters_ = model->parameter_count();
    model->store_weights_for_precision();
    model->load_component(*model->text_encoder_, dir / "text_encoder", "model", kTextEncoder);
    model->load_component(*model->transformer_, dir / "transformer", "diffusion_pytorch_model",
                          kTransformer);
    checkpoint::load_weights(*model->vqvae_, dir / "vqvae", "diffusion_pytorch_model");
    model->prepare_for_inference();
  }
  malloc_trim(0);  // what the conversions freed goes back to the system now
  return model;
}

}  // namespace amused
