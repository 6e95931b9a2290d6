// The engine's interface to the training lab, benchmarks and tests: what they may use of
// the engine beyond amused.h. The product (libamused's users: elements, the command line,
// applications) never includes it.
//
// It gives the model's modules (torch modules named as the checkpoint keys, so the lab can
// train them with autograd), their configurations, the tokenizer, the sampling loop and
// scheduler, and what the product does not need: models with fresh random weights and
// writing a model in the diffusers folder layout.
#pragma once

#include <filesystem>
#include <memory>

#include "amused.h"
#include "checkpoint/json_config.h"
#include "nn/layers.h"
#include "pipeline/model.h"
#include "pipeline/sampling_loop.h"
#include "pixels/image_ops.h"
#include "sampling/scheduler.h"
#include "text/clip_text_model.h"
#include "text/clip_tokenizer.h"
#include "transformer/uvit2d.h"
#include "vq/vq_model.h"

namespace amused::lab {

// A model with freshly initialised weights (normal(0, 0.02), as transformers and diffusers
// initialise): the text encoder from `seed`, the transformer from seed + 1, the VQ from
// seed + 2. Not prepared for inference. The tokenizer files are read from `tokenizer_dir`,
// a folder named "tokenizer" whose parent becomes the model's folder.
std::shared_ptr<Model> create_model(const std::filesystem::path &tokenizer_dir,
                                    const text::ClipTextConfig &text_config,
                                    const transformer::UVit2DConfig &uvit_config,
                                    const vq::VQConfig &vq_config,
                                    sampling::SchedulerConfig scheduler_config, uint64_t seed,
                                    const LoadOptions &options = {});

// Writes the diffusers folder layout (model_index.json, five component folders, configs,
// generation_config.json, safetensors weights in fp32 or as fp16 variant files), which
// diffusers loads too.
void save_model(const Model &model, const std::filesystem::path &dir, bool fp16 = false);

// For a program that trains: the recycling allocator (configure_runtime) and libtorch's
// thread count for the whole process, including autograd's backward passes, which do not
// go through the engine's per-call thread scopes. 0 = every core (or OMP_NUM_THREADS).
void use_process_threads(int threads);

}  // namespace amused::lab
