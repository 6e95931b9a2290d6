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

// The same for the subject alone: the share of each token's pixels that differ from the scene
// without it. A small subject covers ~20-45 of 1024 tokens, and the model before it (75.4%)
// left out 32 of 105 small subjects (2 of 95 large ones), each costing its kind, colour,
// place and size as well.
torch::Tensor subject_token_fractions(uint64_t seed, int64_t count, int image_size, int64_t grid);

// Each token takes the largest share within `reach` tokens of it (a square window). Why a
// reach: a weight on the subject's own tokens depends on the target, which biases the
// prediction toward it (a subject token weighing 5 against 1 for the ground beside it), and
// the shipped model's outlines look grown (small subjects drawn large, 38 of 105; bottles,
// 2.8x taller than wide, come out ~1.5x, read as boxes). A weight on the subject and the
// ground around it alike does not depend on the target. Not shown to help: reach 2 gave
// 66.5% alone and 64.8% with a fixed place for the sun or moon, and both runs lost the place
// word's binding (position 25%; README), so the default is 0.
torch::Tensor grown_shares(const torch::Tensor &shares, int64_t reach);

// The weights the transformer stage adds on top of the object weight.
struct ExtraTokenWeights {
  double celestial = 0;       // x the celestial share
  double subject = 0;         // x the subject share ...
  int64_t subject_reach = 0;  // ... grown by this many tokens (grown_shares)
};

// The weighted sum of the shares `w` names; undefined when both weights are 0.
torch::Tensor extra_token_weights(uint64_t seed, int64_t count, int image_size, int64_t grid,
                                  const ExtraTokenWeights &w);

}  // namespace amused::train
