// Where the objects of a training scene are, on its token grid.
//
// Sky and ground fill most of a scene, so under a plain masked-token loss they carry most of
// the gradient, and the model learns them long before the small things a caption names (the
// subject, the backdrop, clouds, the sun or moon). The generator knows what it drew: the
// difference between a scene and its bare sky-and-ground render marks those objects, and the
// transformer stage can weight their tokens up.
#pragma once

#include <torch/types.h>

#include <cstdint>

namespace amused::train {

// [count, grid, grid] float: for token-dataset scene i (scene_seed(seed, kTokenDataset, i)),
// the share of each token's pixels that differ from the bare render, in [0, 1].
torch::Tensor object_token_fractions(uint64_t seed, int64_t count, int image_size, int64_t grid);

// The same for the sun or moon alone: the share of each token's pixels, inside its disc, that
// differ from the scene without it (clouds keep clear of the disc, so the scene without it
// draws clouds there). Its disc covers ~10-20 of 1024 tokens, too few to be learned from the
// object weight that it shares with clouds and backdrop (the first decoding step gives its
// codes at most 7% anywhere, scripts/celestial-probe.py).
torch::Tensor celestial_token_fractions(uint64_t seed, int64_t count, int image_size, int64_t grid);

}  // namespace amused::train
