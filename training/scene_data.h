// Training and evaluation images: procedural scenes rendered into float tensors.
//
// Every batch is a pure function of (seed, stream, index), so a resumed run sees exactly the
// data an uninterrupted one would have seen.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "amused.h"
#include "training/scenes.h"

namespace amused::train {

// Data streams: each use of scenes draws from its own, so they never share a scene seed.
enum class DataStream : uint64_t {
  kVqTrain = 1,
  kTokenDataset = 2,
  kVqEval = 3,
  kAdherenceEval = 4,
};

// The scene seed of example `index` in `stream`.
uint64_t scene_seed(uint64_t seed, DataStream stream, int64_t index);

// Packed RGB8 images of one size -> [N,3,H,W] float in [0,1] (the VQ's input range).
torch::Tensor images_to_tensor(const std::vector<Image> &images);

class PhotoLibrary;

// VQ training batch number `step`: `count` train-split scenes rendered at `size` x `size`,
// half of them panned sideways (video frames show the landscape beside the central frame),
// each cropped at a random place to `crop` x `crop`. [count,3,crop,crop]. With `photos`, a
// share `photo_share` of the examples (chosen by their seed) are crops of real pictures
// instead.
torch::Tensor vq_batch(uint64_t seed, int64_t step, int count, int size, int crop,
                       const PhotoLibrary *photos = nullptr, double photo_share = 0.0);

// Whether example `scene_seed` of a batch is a real picture rather than a scene.
bool is_photo_example(uint64_t scene_seed, const PhotoLibrary *photos, double photo_share);

// `count` whole scenes of `split` at `size` x `size`, examples first..first+count-1 of
// `stream`; their attributes go to `attributes` when given.
torch::Tensor scene_images(uint64_t seed, DataStream stream, scenes::Split split, int64_t first,
                           int count, int size,
                           std::vector<scenes::SceneAttributes> *attributes = nullptr);

}  // namespace amused::train
