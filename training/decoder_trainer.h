// Stage "decoder" of `amused-train`: fine-tunes the VQ's decoder on fixed codes.
//
// The encoder, quant_conv and codebook stay frozen, so every token id keeps the meaning it
// had when the transformer's token dataset was made: the stage can run after the
// transformer and only changes what the ids decode to. It trains on whole scenes at the
// model's size (the VQ stage sees 64x64 crops), so the image borders are learned as well.
#pragma once

#include <filesystem>

#include "lab/amused_lab.h"
#include "training/schedule.h"
#include "training/vq_trainer.h"

namespace amused::train {

struct DecoderTrainOptions {
  uint64_t seed = 0;
  Budget budget;
  int batch = 8;
  int size = 128;  // whole scenes at the model's native size
  LrSchedule lr{3e-4, 20, 0.03};
  double l1_weight = 0.5;  // reconstruction = MSE + l1_weight * L1, as in the VQ stage
  // Real pictures in place of a share of the scenes, as in the VQ stage (not owned).
  const PhotoLibrary *photos = nullptr;
  double photo_share = 0.0;
  double checkpoint_seconds = 300;
  std::filesystem::path checkpoint;
  bool resume = false;
  bool quiet = false;
};

// Trains post_quant_conv and the decoder of `vq` in place.
StageResult train_vq_decoder(vq::VQModel &vq, const DecoderTrainOptions &options);

}  // namespace amused::train
