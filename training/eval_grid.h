// A PNG grid of generated images with their prompts (and the checker's verdict), for the
// README.
#pragma once

#include <string>
#include <vector>

#include "training/eval_metrics.h"

namespace amused::train {

// Tiles the first `count` samples, `columns` per row, each magnified `scale` times, with
// the prompt under it and the attributes the checker found wrong (if any).
void write_grid(const std::vector<AdherenceSample> &samples, int count, int columns, int scale,
                const std::string &path);

// Eight held-out scenes (top row) above their VQ reconstructions (bottom row), magnified 2x.
void write_reconstructions(const Model &model, int count, const std::string &path);

}  // namespace amused::train
