// A loaded aMUSEd checkpoint: the five components of the diffusers folder, on one device,
// in eval mode. Immutable after loading; the torch modules are only run forward under
// no-grad, which is safe from several threads at once.
#pragma once

#include <filesystem>
#include <memory>

#include <c10/core/Device.h>
#include "amused.h"

#include "pipeline/generation_defaults.h"
#include "sampling/scheduler.h"
#include "text/clip_text_model.h"
#include "text/clip_tokenizer.h"
#include "transformer/uvit2d.h"
#include "vq/vq_model.h"

namespace amused {

class Model {
 public:
  static std::shared_ptr<Model> load(const std::filesystem::path &dir, const LoadOptions &options);

  Model(std::filesystem::path dir, LoadOptions options, text::ClipTokenizer tokenizer,
        const text::ClipTextConfig &text_config, const transformer::UVit2DConfig &uvit_config,
        const vq::VQConfig &vq_config, sampling::SchedulerConfig scheduler_config);

  const std::filesystem::path &dir() const { return dir_; }
  std::filesystem::path tokenizer_dir() const { return dir_ / "tokenizer"; }
  const LoadOptions &options() const { return options_; }
  const c10::Device &device() const { return device_; }
  int64_t vae_scale_factor() const { return vqvae_->config().scale_factor(); }
  int64_t native_size() const;  // pixels: transformer sample_size x vae scale factor
  int64_t parameter_count() const;

  const text::ClipTokenizer &tokenizer() const { return tokenizer_; }
  text::ClipTextModelWithProjection &text_encoder() const { return text_encoder_; }
  transformer::UVit2DModel &transformer() const { return transformer_; }
  vq::VQModel &vqvae() const { return vqvae_; }
  const sampling::SchedulerConfig &scheduler_config() const { return scheduler_config_; }
  const GenerationDefaults &generation_defaults() const { return generation_defaults_; }
  // For a model being trained: what lab::save_model writes to generation_config.json.
  void set_generation_defaults(const GenerationDefaults &d) { generation_defaults_ = d; }

  // Moves to the device, sets eval mode and the matmul backend / precision.
  void prepare_for_inference();
  // Before loading: the weights the fast precisions convert are stored in bf16 from the
  // start, so loading converts each tensor as it copies it and no fp32 copy of the model
  // ever exists.
  void store_weights_for_precision();

 private:
  enum Component { kTextEncoder, kTransformer };
  // Packs the linear layers of `part` (named `prefix` + their names within the component)
  // for the model's precision: bf16, or int8 for the transformer's token products.
  void pack_part(torch::nn::Module &part, const std::string &prefix, Component component);
  // Loads a component a part at a time, packing each part before reading the next.
  void load_component(torch::nn::Module &component, const std::filesystem::path &dir,
                      const std::string &stem, Component which);

 public:
 private:
  std::filesystem::path dir_;
  LoadOptions options_;
  c10::Device device_;
  text::ClipTokenizer tokenizer_;
  mutable text::ClipTextModelWithProjection text_encoder_;
  mutable transformer::UVit2DModel transformer_;
  mutable vq::VQModel vqvae_;
  sampling::SchedulerConfig scheduler_config_;
  GenerationDefaults generation_defaults_;
  int64_t parameters_ = 0;
};

// The device named by `name` ("cpu", "cuda", "cuda:N"); throws Error with a clear message
// when the running libtorch cannot use it.
c10::Device usable_device(const std::string &name);

}  // namespace amused
