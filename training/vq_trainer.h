// Stage "vq": trains the VQModel (encoder, codebook, decoder) on random crops of scenes.
//
// The codebook is kept on the unit sphere and codes are chosen by cosine similarity to the
// normalised encoder output. Because every code has the same norm, that choice equals the
// nearest code by euclidean distance to the raw output, which is what the engine (and
// diffusers) compute with torch.cdist at inference: the trained model exports unchanged.
// Codes move by exponential moving averages of the outputs assigned to them, and codes that
// fall out of use are restarted on outputs of the current batch, so the whole codebook
// stays in use.
//
// With `fsq_levels` set, the codebook is instead a fixed grid (finite scalar quantization,
// see fsq.h): more codes for the same cost, none unused, and still plain nearest-neighbour
// lookup at inference.
#pragma once

#include <filesystem>
#include <vector>

#include "lab/amused_lab.h"
#include "training/schedule.h"

namespace amused::train {

class PhotoLibrary;

struct VqTrainOptions {
  uint64_t seed = 0;
  Budget budget;
  int batch = 16;
  int crop = 64;          // training crop edge, pixels
  int render_size = 128;  // scenes are rendered at this size, then cropped
  LrSchedule lr{1e-3, 50, 0.05};
  std::vector<int64_t> fsq_levels;  // empty: learned codebook on the unit sphere
  double commitment = 0.25;         // beta: pulls encoder outputs towards their codes
  double l1_weight = 0.5;           // reconstruction = MSE + l1_weight * L1
  double ema_decay = 0.99;          // codebook moving averages
  double dead_usage = 0.03;         // a code is restarted below this share of the mean usage
  int restart_every = 50;           // steps between dead-code restarts
  // Crops of real pictures in place of a share of the scenes (not owned).
  const PhotoLibrary *photos = nullptr;
  double photo_share = 0.0;
  double checkpoint_seconds = 300;
  std::filesystem::path checkpoint;  // work file, rewritten every checkpoint_seconds
  bool resume = false;
  // Ends this run at that step (with a checkpoint) as if it were interrupted; the learning
  // rate still follows the whole budget. 0 = run to the end of the budget.
  int64_t stop_at_step = 0;  // continue from `checkpoint` if it exists
  bool quiet = false;        // no progress line
};

// Trains `vq` in place (its codebook ends unit-normalised). Writes the checkpoint at the
// end too, so a finished stage can be resumed into a longer budget.
StageResult train_vq(vq::VQModel &vq, const VqTrainOptions &options);

}  // namespace amused::train
