// The architecture of the default model (and of the tiny one the tests train), as the
// configs of the three diffusers components. One place, so that `amused-train` and its
// tests agree on what is built.
#pragma once

#include <string>
#include <vector>

#include "lab/amused_lab.h"

namespace amused::train {

struct ModelConfigs {
  text::ClipTextConfig text;
  transformer::UVit2DConfig uvit;
  vq::VQConfig vq;
  sampling::SchedulerConfig scheduler;
  // The VQ codebook as a finite-scalar-quantization grid (see fsq.h); empty: learned codes.
  std::vector<int64_t> fsq_levels;
  // Written to the exported folder's generation_config.json.
  GenerationDefaults generation;

  int64_t image_size() const { return uvit.sample_size * vq.scale_factor(); }
};

// "default": the shipped model (128x128 images, 32x32 tokens). "tiny": a few thousand
// parameters per component, for tests that must train in seconds (64x64 images).
// Throws amused::Error for an unknown name.
ModelConfigs model_configs(const std::string &preset);

// Makes the transformer and scheduler configs agree with the VQ (codebook size, mask id)
// and the text encoder (hidden sizes).
ModelConfigs finish_configs(ModelConfigs m);
// Switches the VQ to a finite-scalar-quantization grid with these levels (codebook size =
// their product, code dimension = their count); empty keeps a learned codebook.
ModelConfigs with_fsq_levels(ModelConfigs m, std::vector<int64_t> levels);

}  // namespace amused::train
